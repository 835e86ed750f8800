"""The dependency audit CI runs (scripts/test.sh): pip-audit against requirements.lock.

pip-audit asks PyPI's JSON API which published advisories affect each pinned release. This
wrapper turns its answer into one of four outcomes, by exit status:

    0  every pinned package audited, no advisory (other than those ignored below)
    1  an advisory affects a pinned package: upgrade it in the lock, or ignore it here with
       the reason
    2  the vulnerability service could not be reached (network, proxy, timeout); test.sh
       fails the run on this with CI=true and prints a skip otherwise
    3  the service answered, but had no record of some pinned releases, so they were not
       audited (listed); test.sh fails on this only with NEWSDESK_AUDIT_REQUIRE_ALL=true

Only the runtime lock is audited: it is what a newsroom installs. The dev lock's extra tools
(pytest, playwright, ruff...) never run in production.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Advisories we have looked at and accept, each with the reason. An ID listed here must name
# an advisory that cannot affect Newsdesk as it runs, or one with no fixed release yet that
# the code works around; remove it when the lock moves past the affected versions.
IGNORED: dict[str, str] = {}


def run_pip_audit(lock, timeout):
    command = [
        str(Path(sys.executable).parent / "pip-audit"),
        "--requirement",
        str(lock),
        "--require-hashes",
        "--disable-pip",  # the lock is complete and hashed: nothing to resolve
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--timeout",
        str(timeout),
    ]
    for advisory in IGNORED:
        command += ["--ignore-vuln", advisory]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own command line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", default=ROOT / "requirements.lock", type=Path)
    parser.add_argument("--timeout", default=15, type=int, help="seconds per request")
    args = parser.parse_args(argv)

    completed = run_pip_audit(args.lock, args.timeout)
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        last = (completed.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"Dependency audit: the vulnerability service could not be reached: {last}")
        return 2

    dependencies = report.get("dependencies", [])
    findings = [(dep, vuln) for dep in dependencies for vuln in dep.get("vulns", [])]
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dep, vuln in findings:
        aliases = ", ".join(vuln.get("aliases", []))
        fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release yet"
        print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} ({aliases})")
        print(f"    fixed in: {fixed}")
        print(f"    {vuln.get('description', '').strip()[:300]}")
    for advisory, reason in IGNORED.items():
        print(f"ignored {advisory}: {reason}")
    print(
        f"Dependency audit of {args.lock.name}: {audited} of {len(dependencies)} pinned packages "
        f"audited, {len(findings)} advisories."
    )
    if findings:
        print("Upgrade the package in the lock, or add the advisory to IGNORED in this script.")
        return 1
    if skipped:
        names = ", ".join(f"{dep['name']} {dep.get('version', '')}".strip() for dep in skipped)
        print(f"NOT AUDITED (the service had no record of them): {names}")
        if not audited:
            print(
                "No package could be audited: the vulnerability service answered without data "
                "for any pinned release (a PyPI mirror without the per-release JSON API?)."
            )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
