"""Deploy/CONFIGURATION.md against the binary: each `## lockstep CMD` section's table lists exactly the options that
`lockstep CMD --help` prints, with the same value names and the defaults it prints; every command that
`lockstep --help` lists has a section.

Only the option lines of --help count (two spaces, then the option), not every `--word` in its text: a command's
overview may name another command's option (`lockstep prove` mentions the sequencer's --prover-url). Sections whose
body says "(being written)" are placeholders and skipped. The `bench` sections run `lockstep bench SUB --help`, which
`lockstep` forwards to the lockstep-bench executable beside it; they are skipped when that was not built."""
import os
import re
import subprocess

import pytest

from l1node import binary

REFERENCE = os.path.join(os.path.dirname(__file__), "../../Deploy/CONFIGURATION.md")
PLACEHOLDER = "(being written)"
BUILT_IN = {"--help", "--version"}

HEADER = re.compile(r"^[A-Z][A-Z0-9 ]*:$")
OPTION_LINE = re.compile(r"^  (?:-[A-Za-z0-9], )?(--[a-z0-9][a-z0-9-]*)(?: <([^>]+)>| \[<([^>]+)>\])?")
ENTRY_LINE = re.compile(r"^  ([a-z0-9][a-z0-9-]*)")
# The default ArgumentParser appends to an option's help: "(default: X)" at the end of the abstract. Help texts that
# mention a default themselves end the sentence with a period, as in "(default: its latest).", so those are left out.
DEFAULT = re.compile(r"\(default: ([^()]*)\)(?!\.)")
FLAG = re.compile(r"--[a-z0-9][a-z0-9-]*")


def sections():
    """{"l1": body, "protocol vectors": body, ...} for every `## lockstep …` heading, in file order."""
    with open(REFERENCE) as file:
        text = file.read()
    found = {}
    for match in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", text, re.S | re.M):
        heading = match.group(1).strip()
        if heading.startswith("lockstep "):
            found[heading[len("lockstep "):].strip()] = match.group(2)
    return found


def table(body):
    """{flag: (value name or None, default cell)} from the rows of a section's table."""
    rows = {}
    for line in body.splitlines():
        if not line.startswith("|") or re.match(r"^\|\s*-", line) or re.match(r"^\|\s*option\s*\|", line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        flags = FLAG.findall(cells[0])
        assert len(flags) == 1, f"a table row should name one option in its first cell: {line}"
        value = re.search(r"<([^>]+)>", cells[1]) if len(cells) > 1 else None
        assert flags[0] not in rows, f"{flags[0]} is listed twice"
        rows[flags[0]] = (value.group(1) if value else None, cells[2] if len(cells) > 2 else "")
    return rows


def run_help(*args):
    # A wide terminal keeps each option on one line (the parser below also joins wrapped lines).
    result = subprocess.run([binary(), *args, "--help"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=60, env=dict(os.environ, COLUMNS="400"))
    assert result.returncode == 0, f"lockstep {' '.join(args)} --help failed ({result.returncode}): {result.stderr}"
    return result.stdout


def help_entries(text):
    """The entries of the sections after the overview and usage: {section: [(first line, joined text)]}."""
    entries, section = {}, None
    for line in text.splitlines():
        if HEADER.match(line):
            section = line[:-1]
            entries[section] = []
        elif section is None or not line.strip():
            continue
        elif line.startswith("  ") and not line.startswith("   "):
            entries[section].append([line, line.strip()])
        elif entries[section] and line.startswith("   "):
            entries[section][-1][1] += " " + line.strip()
    return entries


def help_options(text):
    """{flag: (value name or None, default printed or None)} from the option lines of --help."""
    options = {}
    for items in help_entries(text).values():
        for first, joined in items:
            match = OPTION_LINE.match(first)
            if not match:
                continue
            defaults = DEFAULT.findall(joined)
            options[match.group(1)] = (match.group(2) or match.group(3), defaults[-1] if defaults else None)
    return options


def help_subcommands(text):
    """The subcommand names `--help` lists (without ArgumentParser's own `help`)."""
    return [ENTRY_LINE.match(first).group(1) for first, _ in help_entries(text).get("SUBCOMMANDS", [])
            if ENTRY_LINE.match(first) and ENTRY_LINE.match(first).group(1) != "help"]


def benchmarks_path():
    return os.path.join(os.path.dirname(os.path.realpath(binary())), "lockstep-bench")


def skip_without_benchmarks(command):
    if command.split()[0] == "bench" and not os.access(benchmarks_path(), os.X_OK):
        pytest.skip(f"`lockstep bench` runs lockstep-bench, which is not built ({benchmarks_path()})")


COMMANDS = sections()


def test_reference_has_the_service_sections():
    for command in ["l1", "l2", "builder", "prove"]:
        assert command in COMMANDS and PLACEHOLDER not in COMMANDS[command], f"no section for lockstep {command}"


@pytest.mark.parametrize("command", [name for name, body in COMMANDS.items() if PLACEHOLDER not in body])
def test_section_matches_help(command):
    skip_without_benchmarks(command)
    printed = help_options(run_help(*command.split()))
    printed = {flag: value for flag, value in printed.items() if flag not in BUILT_IN}
    listed = table(COMMANDS[command])
    section = f"`## lockstep {command}` in Deploy/CONFIGURATION.md"
    missing = sorted(set(printed) - set(listed))
    extra = sorted(set(listed) - set(printed))
    assert not missing, f"{section} lacks options that --help prints: {missing}"
    assert not extra, f"{section} lists options that --help does not print: {extra}"
    for flag, (value, default) in printed.items():
        listed_value, listed_default = listed[flag]
        assert listed_value == value, f"{section}: {flag} takes <{value}> per --help, the table says <{listed_value}>"
        if default is not None:
            assert f"`{default}`" in listed_default, \
                f"{section}: {flag} defaults to {default} per --help, the table says {listed_default!r}"


def test_every_command_has_a_section():
    """Each command `lockstep --help` lists has a section, or each of its subcommands has one (tx, protocol); the
    benchmarks, when lockstep-bench is built, have one each too."""
    undocumented = []

    def visit(path):
        for name in help_subcommands(run_help(*path)):
            command = " ".join(path + [name])
            if any(key.startswith(command + " ") for key in COMMANDS):
                if name != "bench" or os.access(benchmarks_path(), os.X_OK):
                    visit(path + [name])
            elif command not in COMMANDS:
                undocumented.append(command)

    visit([])
    assert not undocumented, f"Deploy/CONFIGURATION.md has no section for: {undocumented}"
