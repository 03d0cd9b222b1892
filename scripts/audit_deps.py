"""CI's dependency audit: the pinned versions of requirements.txt against an advisory
database (pip-audit: the PyPI JSON API, else OSV).

pip-audit prints "No known vulnerabilities found" even when it could not look a single
package up (it skips what the service does not answer). This script says what really
happened: it fails on a known vulnerability, and when no advisory database answered it
says that the dependencies were NOT checked, and why, instead of claiming they are clean.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("pypi", "osv")


def audit(service: str) -> dict | str:
    """pip-audit's JSON report, or why it gave none."""
    cmd = [sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.txt"),
           "--no-deps", "--disable-pip", "--vulnerability-service", service,
           "--progress-spinner", "off", "--format", "json", "--timeout", "20"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return f"{service}: no answer within 300 s"
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"{service}: {last[:300]}"


def main() -> int:
    reasons = []
    for service in SERVICES:
        report = audit(service)
        if isinstance(report, str):
            reasons.append(report)
            continue
        deps = report.get("dependencies", [])
        checked = [d for d in deps if "skip_reason" not in d]
        if not checked:
            reasons.append(f"{service}: none of {len(deps)} packages could be looked up "
                           f"({deps[0].get('skip_reason', '') if deps else 'no packages'})")
            continue
        vulnerable = [d for d in checked if d.get("vulns")]
        for dep in vulnerable:
            ids = ", ".join(v["id"] for v in dep["vulns"])
            print(f"VULNERABLE {dep['name']}=={dep['version']}: {ids}")
        skipped = [d["name"] for d in deps if "skip_reason" in d]
        print(f"dependency audit ({service}): {len(checked)} packages checked, "
              f"{len(vulnerable)} with known vulnerabilities"
              + (f"; not checked: {', '.join(skipped)}" if skipped else ""))
        return 1 if vulnerable else 0
    print("dependency audit NOT done: no advisory database is reachable from this machine. "
          + " | ".join(reasons))
    return 0


if __name__ == "__main__":
    sys.exit(main())
