"""Many wrong rules in one promtool run, each under names of its own.

A mutant is the shipped rules with one text replaced (a threshold, a window, a wait). Run alone,
each costs a whole promtool run of its test group, though it changes one or two rules: the
revenue groups spend their time in the recording rules' 1- to 7-day windows, which most mutants
leave alone. Here the mutants of one test group share a run: every rule a mutant changes, and
every rule that reads a metric it records, is added beside the original under a suffixed name
(`customs_department:revenue_pace:ratio7d_mutant12`, `CustomsRevenueBehindPaceWarning_mutant12`);
the group's assertions on those names are copied under the same suffix. Rules a mutant leaves
alone are evaluated once for all. The original assertions stay in the run as its control: they
must all pass, so a batch that evaluated anything differently from the shipped rules shows.

promtool names each failed assertion by its alert or its expression; the suffix says whose it is.
Renaming is structural (record and alert names, metric names in expressions and in expected
labels), never in annotation text, so a copy cannot fail for a reason other than its mutation.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_NAME_CHARS = r"A-Za-z0-9_:"
_FAILED = re.compile(r"^\s*(?:alertname: (?P<alert>[^,]+), time: (?P<at>[^,]+),|expr: \"(?P<expr>.*)\", time: (?P<et>[^,]+),)", re.M)
_SUFFIX = re.compile(r"_mutant(\d+)\b")
_EVAL_ERROR = re.compile(r"^\s*rule: .*, err: ", re.M)


@dataclass(frozen=True)
class Mutant:
    index: int
    rules: str  # the rule file's stem ("revenue" for revenue.rules.yml)
    old: str
    new: str
    group: str  # "<test file stem>:<group index>", the group that must catch it
    everywhere: bool  # replace every occurrence (a window), else the text occurs exactly once

    @property
    def suffix(self) -> str:
        return f"_mutant{self.index}"

    def apply(self, text: str) -> str:
        count = text.count(self.old)
        assert count >= 1 if self.everywhere else count == 1, f"mutation target {self.old!r} occurs {count} times"
        return text.replace(self.old, self.new)


def _rename(expr: str, names: set[str], suffix: str) -> str:
    for name in sorted(names, key=len, reverse=True):
        expr = re.sub(rf"(?<![{_NAME_CHARS}]){re.escape(name)}(?![{_NAME_CHARS}])", name + suffix, expr)
    return expr


def _reads(expr: str, names: set[str]) -> bool:
    return any(re.search(rf"(?<![{_NAME_CHARS}]){re.escape(n)}(?![{_NAME_CHARS}])", expr) for n in names)


def _name(rule: dict[str, Any]) -> str:
    return str(rule.get("record") or rule["alert"])


def _affected(original: list[dict[str, Any]], mutated: list[dict[str, Any]]) -> list[int]:
    """Positions (in the flat list of rules) the mutant changes, or that read a metric one records."""
    assert len(original) == len(mutated), "a mutant adds or removes rules"
    hit = {i for i, (a, b) in enumerate(zip(original, mutated, strict=True)) if a != b}
    assert hit, "the mutant changes no rule"
    while True:
        recorded = {_name(original[i]) for i in hit if "record" in original[i]}
        more = {i for i, rule in enumerate(mutated) if i not in hit and _reads(str(rule["expr"]), recorded)}
        if not more:
            return sorted(hit)
        hit |= more


@dataclass
class Batch:
    """One test group and its mutants, written as rule and test files under root."""

    root: Path
    test_file: Path  # relative to root, for promtool's cwd
    renamed: dict[int, set[str]]  # mutant index -> its suffixed alert and record names
    control: set[str]  # names of the group's own assertions (unsuffixed)


def write_batch(tests_dir: Path, group: str, mutants: list[Mutant], root: Path) -> Batch:
    """The group's rules with every mutant's changed rules beside them, and the group's assertions
    with every mutant's copies, under root/rules and root/tests."""
    stem, index = group.split(":")
    spec = yaml.safe_load((tests_dir / f"{stem}.yml").read_text())
    test_group = copy.deepcopy(spec["tests"][int(index)])
    for text in (yaml.safe_dump(test_group), *(Path(tests_dir, f).read_text() for f in spec["rule_files"])):
        assert "__name__" not in text and "ALERTS" not in text, "an assertion or rule that reads every name would see the copies"
    (root / "rules").mkdir(parents=True)
    (root / "tests").mkdir()
    renamed: dict[int, set[str]] = {m.index: set() for m in mutants}
    for rule_file in spec["rule_files"]:
        path = (tests_dir / rule_file).resolve()
        text = path.read_text()
        doc = yaml.safe_load(text)
        flat = [rule for g in doc["groups"] for rule in g["rules"]]
        copies: dict[int, list[dict[str, Any]]] = {}  # flat position -> mutated copies to add after it
        for mutant in mutants:
            if f"{mutant.rules}.rules.yml" != path.name:
                continue
            mutated = [rule for g in yaml.safe_load(mutant.apply(text))["groups"] for rule in g["rules"]]
            positions = _affected(flat, mutated)
            names = {_name(flat[i]) for i in positions}
            recorded = {_name(flat[i]) for i in positions if "record" in flat[i]}
            for i in positions:
                rule = copy.deepcopy(mutated[i])
                rule["expr"] = _rename(str(rule["expr"]), recorded, mutant.suffix)
                rule["record" if "record" in rule else "alert"] = _name(rule) + mutant.suffix
                copies.setdefault(i, []).append(rule)
            renamed[mutant.index] |= {n + mutant.suffix for n in names}
        position = 0
        for g in doc["groups"]:
            rules = []
            for rule in g["rules"]:
                rules += [rule, *copies.get(position, [])]
                position += 1
            g["rules"] = rules
        (root / "rules" / path.name).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=400))
    assert all(renamed.values()), f"mutants for other rule files than {group}'s: {[i for i, n in renamed.items() if not n]}"

    alerts = list(test_group.get("alert_rule_test", []))
    exprs = list(test_group.get("promql_expr_test", []))
    for mutant in mutants:
        names = {n.removesuffix(mutant.suffix) for n in renamed[mutant.index]}
        for test in alerts:
            if test["alertname"] in names:
                test_group["alert_rule_test"].append({**test, "alertname": test["alertname"] + mutant.suffix})
        for test in exprs:
            if _reads(test["expr"], names):
                samples = [{**s, "labels": _rename(s["labels"], names, mutant.suffix)} for s in test.get("exp_samples", [])]
                test_group["promql_expr_test"].append({**test, "expr": _rename(test["expr"], names, mutant.suffix), "exp_samples": samples})
    test_file = Path("tests") / f"{stem}.group{index}.yml"
    rule_files = [f"../rules/{Path(f).name}" for f in spec["rule_files"]]
    (root / test_file).write_text(yaml.safe_dump({**spec, "rule_files": rule_files, "tests": [test_group]}))
    control = {t["alertname"] for t in alerts} | {t["expr"] for t in exprs}
    return Batch(root, test_file, renamed, control)


def failures(output: str) -> list[tuple[str, str]]:
    """(alert name or expression, eval time) of every failed assertion in promtool's output."""
    return [(m["alert"] or m["expr"], m["at"] or m["et"]) for m in _FAILED.finditer(output)]


def caught(output: str) -> dict[int | None, set[tuple[str, str]]]:
    """The failures per mutant index (None: the group's own assertions), names without the suffix.
    A rule that fails to evaluate stops promtool's whole run: that is no verdict on any mutant."""
    assert not _EVAL_ERROR.search(output), f"a rule failed to evaluate, which ends promtool's run:\n{output[-3000:]}"
    found: dict[int | None, set[tuple[str, str]]] = {}
    for name, at in failures(output):
        indices = {int(i) for i in _SUFFIX.findall(name)}
        assert len(indices) <= 1, f"an assertion names two mutants: {name}"
        found.setdefault(indices.pop() if indices else None, set()).add((_SUFFIX.sub("", name), at))
    return found
