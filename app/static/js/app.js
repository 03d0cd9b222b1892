// Select2 and the date pickers in the user's language, and type-ahead selects for large
// tables.
(function () {
  var zh = {
    errorLoading: function () { return "无法载入结果。"; },
    inputTooLong: function (a) { return "请删除" + (a.input.length - a.maximum) + "个字符"; },
    inputTooShort: function (a) { return "请再输入至少" + (a.minimum - a.input.length) + "个字符"; },
    loadingMore: function () { return "载入更多结果…"; },
    maximumSelected: function (a) { return "最多只能选择" + a.maximum + "个项目"; },
    noResults: function () { return "未找到结果"; },
    searching: function () { return "搜索中…"; },
    removeAllItems: function () { return "删除所有项目"; }
  };
  var lang = document.documentElement.getAttribute("data-locale") || window.APP_LOCALE || "zh";
  // Set before FAB's own scripts build their selects (they run on DOM ready).
  if (lang.indexOf("zh") === 0 && $.fn.select2) {
    $.fn.select2.defaults.set("language", zh);
  }
  // Date pickers: the zh-CN locale file (base.html loads it for the Chinese UI) before
  // FAB's scripts create the pickers; English is the picker's own default.
  if ($.fn.datepicker) {
    $.fn.datepicker.defaults.format = "yyyy-mm-dd";
    $.fn.datepicker.defaults.todayHighlight = true;
    $.fn.datepicker.defaults.autoclose = true;
    if (lang.indexOf("zh") === 0 && $.fn.datepicker.dates["zh-CN"]) {
      $.fn.datepicker.defaults.language = "zh-CN";
    }
    // FAB's filter panel calls datetimepicker(), a plugin it no longer ships: without
    // this a date filter added from "Add filter" throws and gets no picker.
    if (!$.fn.datetimepicker) {
      $.fn.datetimepicker = function () { return this.datepicker(); };
    }
  }
  // A type-ahead select (widgets.AjaxSelectField): matches come from /lookup/<kind>.
  function ajaxSelect(el) {
    if (el.hasClass("select2-hidden-accessible")) { return; }
    el.select2({
      theme: "bootstrap",
      allowClear: !el.prop("required"),
      placeholder: "",
      minimumInputLength: 0,
      width: "100%",
      ajax: {
        url: el.data("url"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "" }; },
        processResults: function (data) { return { results: data.results }; }
      }
    });
    // In a search form the select is empty: FAB's filters give it the active filter's
    // name (_flt_<op>_<column>), so its value is in the address; fetch that row's label.
    var name = el.attr("name") || "";
    if (name.indexOf("_flt_") !== 0 || el.val()) { return; }
    var value = new URLSearchParams(window.location.search).get(name);
    if (!value) { return; }
    $.getJSON(el.data("url"), { id: value }).done(function (data) {
      var row = (data.results || [])[0];
      if (row) { el.append(new Option(row.text, row.id, true, true)).trigger("change"); }
    });
  }

  $(function () {
    $(".js-ajax-select").each(function () { ajaxSelect($(this)); });
    // Filters added later (FAB's "Add filter" menu) get their select when they appear.
    var filters = document.querySelector("#filter_form .filters");
    if (filters && window.MutationObserver) {
      new MutationObserver(function (records) {
        records.forEach(function (record) {
          $(record.addedNodes).find(".js-ajax-select").addBack(".js-ajax-select")
            .each(function () { ajaxSelect($(this)); });
        });
      }).observe(filters, { childList: true, subtree: true });
    }
  });
})();
