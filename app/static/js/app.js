// Type-ahead selects for large tables (projects): ask the server as the user types.
$(function () {
  $(".js-ajax-select").each(function () {
    var el = $(this);
    el.select2({
      allowClear: true,
      placeholder: "",
      minimumInputLength: 0,
      ajax: {
        url: el.data("url"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "" }; },
        processResults: function (data) { return { results: data.results }; }
      }
    });
  });
});
