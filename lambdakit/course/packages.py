"""Deployment packages under the magnifying glass: what a .zip holds and whether it fits the limits.

:func:`vendor` lays out installed Python distributions as ``pip install --target``
would put them in a package, :func:`inspect_package` measures a .zip against AWS's
documented size limits (:data:`LIMITS`) and points out common packaging mistakes,
and :func:`package_inspector` is the widget that puts both in a learner's hands.

>>> import lambdakit
>>> report = inspect_package(lambdakit.zip_code("def handler(event, context):\\n    return 1\\n"))
>>> [entry.name for entry in report.entries], report.problems
(['lambda_function.py'], [])
>>> all(check.ok for check in report.checks)
True
"""
from __future__ import annotations

import dataclasses
import html
import importlib.metadata
import io
import re
import stat
import types
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

from .controls import slider_names

__all__ = ["MB", "LIMITS", "MAX_LAYERS", "LIMITS_SOURCE", "ARCHITECTURES", "Limit", "Entry",
           "Check", "Report", "vendor", "inspect_package", "module_from_source",
           "package_inspector", "PackageInspector"]

MB = 1024 * 1024  #: Lambda's "MB" is 1,024 KB (the quotas page says so)


@dataclasses.dataclass(frozen=True)
class Limit:
    """One documented size limit of a .zip deployment package, in bytes."""

    key: str
    what: str
    bytes: int


#: AWS's documented, fixed limits for .zip packages (Lambda quotas page, checked November 2026).
LIMITS = (
    Limit("zipped", "package as uploaded directly (API, SDK or console), zipped", 50 * MB),
    Limit("unzipped", "package and all its layers, unzipped", 250 * MB),
    Limit("editor", "largest package the console's code editor will open", 3 * MB),
)
MAX_LAYERS = 5  #: layers one function may use
LIMITS_SOURCE = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"

# A compiled extension's name says which Python and platform it was built for:
# _yaml.cpython-311-x86_64-linux-gnu.so, _yaml.cpython-312-darwin.so, _yaml.cp311-win_amd64.pyd
_EXTENSION = re.compile(r"\.(?:cpython-|cp)(\d)(\d+)(?:-([^/.]+))?\.(?:so|pyd)$")
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}  #: Lambda's name -> the machine in tags
_DEAD_WEIGHT = re.compile(r"(^|/)(__pycache__/|tests?/)|\.pyc$")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One file in a package: its path, its size unzipped and zipped, and its Unix mode."""

    name: str
    size: int
    compressed: int
    mode: int = 0o644


@dataclasses.dataclass(frozen=True)
class Check:
    """One limit applied to one package: the measured value and whether it fits."""

    limit: Limit
    value: int

    @property
    def ok(self) -> bool:
        return self.value <= self.limit.bytes

    @property
    def share(self) -> float:
        """The fraction of the limit used (above 1.0 when over)."""
        return self.value / self.limit.bytes


@dataclasses.dataclass(frozen=True)
class Report:
    """What :func:`inspect_package` found: the files, the sizes, the checks and the problems."""

    entries: tuple[Entry, ...]
    zipped: int
    layers_unzipped: int
    checks: tuple[Check, ...]
    problems: list[str]

    @property
    def unzipped(self) -> int:
        """The package's own files, unzipped (layers not included)."""
        return sum(entry.size for entry in self.entries)

    def folders(self) -> list[tuple[str, int, int, int]]:
        """(top-level folder or file, files, unzipped bytes, zipped bytes), biggest first."""
        groups: dict[str, list[int]] = {}
        for entry in self.entries:
            top = entry.name.split("/", 1)[0] + ("/" if "/" in entry.name else "")
            group = groups.setdefault(top, [0, 0, 0])
            group[0] += 1
            group[1] += entry.size
            group[2] += entry.compressed
        return sorted(((name, *group) for name, group in groups.items()), key=lambda row: -row[2])

    def __str__(self) -> str:
        lines = [f"{len(self.entries)} files, {_mb(self.zipped)} zipped, "
                 f"{_mb(self.unzipped)} unzipped"]
        for name, files, size, compressed in self.folders()[:8]:
            lines.append(f"  {name:<28} {files:>5} files {_mb(size):>10} "
                         f"{_mb(compressed):>10} zipped")
        for check in self.checks:
            mark = "ok  " if check.ok else "OVER"
            lines.append(f"{mark} {_mb(check.value):>10} of {_mb(check.limit.bytes):>7} "
                         f"({check.share:6.1%}): {check.limit.what}")
        lines += [f"problem: {problem}" for problem in self.problems]
        return "\n".join(lines)

    def to_html(self) -> str:
        """The report as HTML: a table of the biggest folders, a bar per limit, the problems."""
        rows = "".join(
            f"<tr><td style='text-align:left'><code>{html.escape(name)}</code></td>"
            f"<td>{files:,}</td><td>{_mb(size)}</td><td>{_mb(compressed)}</td></tr>"
            for name, files, size, compressed in self.folders()[:10])
        table = ("<table><tr><th style='text-align:left'>top-level folder or file</th>"
                 f"<th>files</th><th>unzipped</th><th>zipped</th></tr>{rows}</table>")
        bars = "".join(
            f"<div style='margin:4px 0'>{html.escape(check.limit.what)}: <b>{_mb(check.value)}</b> "
            f"of {_mb(check.limit.bytes)}<div style='background:#eee;width:420px;height:12px'>"
            f"<div style='background:{'#2a7' if check.ok else '#d33'};height:12px;"
            f"width:{min(check.share, 1.0) * 420:.0f}px'></div></div></div>"
            for check in self.checks)
        problems = "".join(f"<li>{html.escape(problem)}</li>" for problem in self.problems)
        return table + bars + (f"<b>Problems</b><ul>{problems}</ul>" if problems else
                               "<p>No packaging problems found.</p>")


def _mb(size: int) -> str:
    return f"{size / MB:,.2f} MB"


def vendor(*distributions: str, with_dependencies: bool = True) -> dict[str, bytes]:
    """The files of installed distributions, laid out as ``pip install --target`` would.

    distributions: distribution names as pip knows them (``"requests"``, ``"PyYAML"``).
    with_dependencies: add the distributions they require (extras left out), when installed.

    Returns ``{path in the package: content}``, ready for :func:`lambdakit.zip_code`.
    Compiled ``__pycache__`` files and scripts installed outside site-packages are left
    out. Raises ValueError for a distribution that is not installed.

    >>> sorted(vendor("six"))[-1]
    'six.py'
    """
    files: dict[str, bytes] = {}
    pending, seen = list(distributions), set()
    while pending:
        name = pending.pop(0)
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if name in distributions:
                raise ValueError(f"{name!r} is not installed here, so it cannot be "
                                 "vendored") from None
            continue  # an optional dependency that is not installed
        for path in dist.files or ():
            text = str(path).replace("\\", "/")
            if text.startswith("..") or "__pycache__/" in text or text.endswith(".pyc"):
                continue
            try:
                files[text] = path.locate().read_bytes()
            except OSError:
                continue
        if with_dependencies:
            for requirement in dist.requires or ():
                if "extra ==" not in requirement:
                    pending.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
    return files


def inspect_package(package: bytes, *, handler: str = "lambda_function.handler",
                    runtime: str = "python3.12", architecture: str = "x86_64",
                    layers_unzipped: int = 0, layers: int = 0) -> Report:
    """Measure a .zip package against Lambda's limits and look for packaging mistakes.

    package: the bytes of the .zip (as given to CreateFunction's ``ZipFile``).
    handler, runtime: the function's settings; they decide which file must be at the root.
    architecture: the function's architecture (x86_64 or arm64); compiled extensions must be
        built for it, for Linux and for the runtime's Python version.
    layers_unzipped: the unzipped size of the layers the function uses (they count
        towards the 250 MB limit); layers: how many there are (at most five).

    Raises ValueError when ``package`` is not a .zip archive or the architecture is unknown.

    >>> import lambdakit
    >>> mac_build = lambdakit.zip_code({"lambda_function.py": "", "_fast.cpython-312-darwin.so": b""})
    >>> print(inspect_package(mac_build, runtime="python3.12").problems[0])  # doctest: +ELLIPSIS
    _fast.cpython-312-darwin.so is built for darwin, but the function runs on Linux x86_64: ...
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture {architecture!r}: Lambda has x86_64 and arm64")
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
    except zipfile.BadZipFile:
        raise ValueError("not a .zip archive: Lambda expects the bytes of a .zip file") from None
    if layers_unzipped < 0 or layers < 0:
        raise ValueError("layer sizes and counts cannot be negative, got "
                         f"{layers_unzipped}, {layers}")
    entries = tuple(Entry(info.filename, info.file_size, info.compress_size,
                          stat.S_IMODE(info.external_attr >> 16)) for info in infos)
    unzipped = sum(entry.size for entry in entries) + layers_unzipped
    checks = (Check(LIMITS[0], len(package)), Check(LIMITS[1], unzipped),
              Check(LIMITS[2], len(package)))
    problems = _problems(entries, handler, runtime, architecture)
    if layers > MAX_LAYERS:
        problems.append(f"{layers} layers: a function may use at most {MAX_LAYERS}.")
    return Report(entries, len(package), layers_unzipped, checks, problems)


def _problems(entries: tuple[Entry, ...], handler: str, runtime: str,
              architecture: str = "x86_64") -> list[str]:
    names = {entry.name for entry in entries}
    problems = []
    if runtime.startswith("provided"):
        boot = next((entry for entry in entries if entry.name == "bootstrap"), None)
        if boot is None:
            problems.append("a custom runtime needs an executable file named bootstrap at the "
                            "root of the package.")
        elif not boot.mode & 0o111:
            problems.append("bootstrap is not executable (give it mode 755 before zipping).")
        return problems
    module, _, function = handler.rpartition(".")
    path = module.replace(".", "/") + ".py"
    if not module or not function:
        problems.append(f"handler {handler!r} should be MODULE.FUNCTION, "
                        "e.g. lambda_function.handler.")
    elif path not in names:
        nested = sorted(name for name in names if name.endswith("/" + path))
        hint = (f" It is at {nested[0]}: zip the folder's contents, not the folder."
                if nested else "")
        problems.append(f"handler {handler!r} needs {path} at the root of the package.{hint}")
    if any(name.startswith(("boto3/", "botocore/")) for name in names):
        problems.append("boto3/botocore are bundled: Python runtimes already include them; bundle "
                        "them only to pin a version you have tested.")
    foreign = _foreign_extension(sorted(names), runtime, architecture)
    if foreign:
        problems.append(foreign)
    dead = [name for name in names if _DEAD_WEIGHT.search(name)]
    if dead:
        problems.append(f"{len(dead)} files of tests or compiled caches (e.g. {sorted(dead)[0]}) "
                        "only add weight.")
    return problems


def _foreign_extension(names: list[str], runtime: str, architecture: str) -> str | None:
    """The first compiled extension that would not load on the function, and why."""
    if not runtime.startswith("python"):
        return None
    wanted = runtime.removeprefix("python").replace(".", "")
    for name in names:
        match = _EXTENSION.search(name)
        if not match:
            continue
        major, minor, platform = match[1], match[2], match[3] or ""
        reasons = []
        if major + minor != wanted:
            reasons.append(f"is compiled for CPython {major}.{minor}, but the runtime is {runtime}")
        machine = platform.split("-", 1)[0]
        if platform and ("linux" not in platform or machine != ARCHITECTURES[architecture]):
            built_for = platform if "linux" not in platform else f"Linux {machine}"
            reasons.append(f"is built for {built_for}, but the function runs on Linux {architecture}")
        if reasons:
            return (f"{name} " + ", and ".join(reasons) + ": build dependencies for the runtime's "
                    "Python version, Amazon Linux and the function's architecture.")
    return None


def module_from_source(name: str, source: str) -> types.ModuleType:
    """A module made from source text, so a notebook can unit-test code it will deploy.

    >>> module_from_source("maths", "def double(x):\\n    return 2 * x\\n").double(21)
    42
    """
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a valid module name")
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)  # the learner's own code
    return module


class PackageInspector:
    """Pick dependencies to vendor next to a handler; see the package's files, sizes and problems.

    Made by :func:`package_inspector`; displays itself in Jupyter. ``build()`` rebuilds
    the package from the controls (the *Build and inspect* button calls it) and
    ``report`` holds the latest :class:`Report`.
    """

    def __init__(self, handler_source: str, choices: Iterable[str], runtime: str,
                 architecture: str = "x86_64"):
        import ipywidgets as w

        self.handler_source, self.runtime = handler_source, runtime
        self.architecture = architecture
        style = {"description_width": "150px"}
        self.dependencies = w.SelectMultiple(options=list(choices), value=(),
                                             description="vendor these", style=style,
                                             layout=w.Layout(width="420px", height="100px"))
        self.with_dependencies = w.Checkbox(value=True, indent=False,
                                            description="with what they require")
        self.layers_mb = w.IntSlider(value=0, min=0, max=300, step=10, style=style,
                                     description="layers (MB unzipped)", continuous_update=False)
        self.button = w.Button(description="Build and inspect", button_style="primary")
        self.output = w.HTML()
        self.report: Report | None = None
        self.button.on_click(lambda _button: self.build())
        self.widget = w.VBox([slider_names(), self.dependencies, self.with_dependencies,
                              self.layers_mb, self.button, self.output])
        self.build()

    def build(self) -> Report:
        """Zip the handler with the chosen dependencies, inspect it and show the result."""
        from ..packaging import zip_code

        files: dict[str, str | bytes] = dict(vendor(*self.dependencies.value,
                                                    with_dependencies=self.with_dependencies.value))
        files["lambda_function.py"] = self.handler_source
        package = zip_code(files)
        self.report = inspect_package(package, runtime=self.runtime,
                                      architecture=self.architecture,
                                      layers_unzipped=self.layers_mb.value * MB,
                                      layers=1 if self.layers_mb.value else 0)
        chosen = ", ".join(self.dependencies.value) or "nothing"
        self.output.value = (f"<p>Handler plus <b>{html.escape(chosen)}</b>: "
                             f"{len(self.report.entries):,} files.</p>" + self.report.to_html())
        return self.report

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def package_inspector(handler_source: str = "def handler(event, context):\n    return 'ok'\n",
                      choices: Iterable[str] = ("requests", "PyYAML", "boto3", "numpy"),
                      runtime: str = "python3.12",
                      architecture: str = "x86_64") -> PackageInspector:
    """A package inspector: choose installed distributions to vendor and see the package grow.

    handler_source: the handler, stored as ``lambda_function.py``.
    choices: distributions offered (those not installed here are left out).
    runtime, architecture: the function's settings, used to check compiled extensions.

    >>> package_inspector(choices=("requests", "numpy"))     # doctest: +SKIP
    """
    available = [name for name in choices if _installed(name)]
    if not available:
        raise ValueError(f"none of {list(choices)} is installed here")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture {architecture!r}: Lambda has x86_64 and arm64")
    return PackageInspector(handler_source, available, runtime, architecture)


def _installed(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
