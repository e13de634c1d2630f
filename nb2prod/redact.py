"""Find and redact secrets in text: credentials in known formats, long random-looking tokens, and
values written next to a sensitive name (``password: hunter22``, ``API_KEY=...``).

This module imports nothing from nb2prod: ``convert`` copies it verbatim into every generated
project, so the project's stdout test redacts what it prints exactly as nb2prod redacted the
notebook's recorded output (one source, never a hand-kept copy).
"""

from __future__ import annotations

import math
import re

REDACTED = "<redacted>"

# (marker, kind, pattern): the marker (a regular expression) must occur for the pattern to match;
# all markers together are one quick test that skips most texts at once
TOKEN_PATTERNS = tuple(
    (re.compile(marker), kind, re.compile(pattern))
    for marker, kind, pattern in [
        ("AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|A3T", "AWS access key id",
         r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}\b"),
        ("-----BEGIN", "private key", r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"
                                      r"-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)?"),
        ("gh[pousr]_", "GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
        ("github_pat_", "GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
        ("glpat-", "GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
        ("xox", "Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
        ("AIza", "Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("sk-", "OpenAI-style secret key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{32,}\b"),
        ("k_live_", "Stripe secret key", r"\b[sr]k_live_[0-9a-zA-Z]{20,}\b"),
        ("hf_", "Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b"),
        ("npm_", "npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        # a scheme starts where no scheme character precedes it (from inside `a+a+...` every
        # start would scan to the end: n**2); the password runs to the last `@` before the
        # host, so one with `@` or `:` in it is taken whole
        ("://", "password in a URL",
         r"(?<![\w+.-])[a-z][a-z0-9+._-]*://[^\s:/@'\"]+:[^\s'\"/]+@[\w.-]+"),
        ("earer", "bearer token", r"\b[Bb]earer\s+[A-Za-z0-9_\-.=+/]{20,}"),
        ("Basic\\s", "basic auth credentials",
         r"\bBasic\s+(?=[A-Za-z+/]*[0-9])[A-Za-z0-9+/]{12,}={0,2}(?![\w/])"),
        ("SG\\.", "SendGrid key", r"\bSG\.[\w-]{16,}\.[\w-]{16,}"),
        (";\\s*(?i:password|pwd)", "password in a connection string",
         r"(?i);\s*(?:password|pwd)\s*=\s*[^;'\"\s]{4,}"),
    ]
)
_ANY_MARKER = re.compile("|".join(marker.pattern for marker, _, _ in TOKEN_PATTERNS))
_URL_PLACEHOLDER = re.compile(r"://[^:/@]+:(?:\*+|x+|<[^>]*>|\{[^}]*\}|\$\w+|password|pass|pwd)@",
                              re.IGNORECASE)
# a name that says its value is a credential; `_pattern`, `_path`, `_count`... say it is not
SENSITIVE_NAME = re.compile(
    r"(?:^|_|\b)(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|auth[_-]?token|credentials?|client[_-]secret)(?:$|_|\b)", re.IGNORECASE,
)
# every word SENSITIVE_NAME looks for, anywhere (in `9password` too): the screen may_hold_secret uses
_CREDENTIAL_WORD = re.compile(r"(?i)pass|pwd|secret|token|api[_-]?key|access[_-]?key|"
                              r"private[_-]?key|credential")
NOT_SENSITIVE_SUFFIX = re.compile(
    r"_(?:pattern|regex|re|path|file|filename|dir|folder|name|names|type|len|length|count|counts|size|"
    r"max|min|num|limit|ids?|index|col|column|field|env|var|url|uri|endpoint|prefix|suffix|sep|"
    r"separator|list|dict|map|vocab|kwargs|args|params|config|cfg|class|fn|func)$", re.IGNORECASE,
)
# values that are obviously not real credentials
OBVIOUS_PLACEHOLDER = re.compile(
    r"^(?:|x+|X+|\*+|\.+|<.*>|\{.*\}|\$\{?\w+\}?|%\(?\w*\)?s|your[\s_-].*|None|null|true|false)$",
    re.IGNORECASE,
)
_NAMED_VALUE = re.compile(  # (a name starts a word: tried from inside long words it costs n**2)
    r"(?<![\w.-])(?P<name>[A-Za-z_][\w.-]*)(?P<sep>[\"']?[ \t]*(?:[ \t](?:is|was)[ \t]*)?[:=][ \t]*)"
    r"(?:(?P<quote>[\"'])(?P<quoted>[^\"'\n]{4,200})(?P=quote)"  # a quoted value, spaces and all
    # an unquoted one that is not code: a call or an index (`get_token()`, `cfg["token"]`)
    r"|(?![A-Za-z_][\w.]*(?:\([^)]*\)|\[[^\]]*\])(?:[\s,;)`]|$))(?P<value>[^\s\"',;`]{4,}))"
)
# what follows `token =` in code rather than a credential: a call, an index, an attribute
_EXPRESSION = re.compile(r"^[A-Za-z_][\w.]*(?:\(.*\)|\[.*\])[),.;]*$|^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_LONG_TOKEN = re.compile(r"(?<![\w/+=.-])[A-Za-z0-9_\-+/]{32,}={0,2}(?![\w/+=.-])")
_BASE64_FILE_MAGIC = ("iVBORw0KGgo", "/9j/", "R0lGOD", "JVBERi0", "UklGR", "PD94bWwg", "PHN2Zy")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/]+={0,2}")
_HEX_OR_UUID = re.compile(r"^(?:[0-9a-fA-F]+|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")


def may_hold_token(text: str) -> bool:
    """Whether ``text`` holds a marker of a known credential format: False means ``find_token``
    finds nothing in it or in any part of it (one test for a whole notebook)."""
    return _ANY_MARKER.search(text) is not None


def may_hold_secret(text: str) -> bool:
    """Whether :func:`redact` could find anything in ``text`` or in any part of it: False only
    when no credential format's marker, no credential word and no random-looking token is there
    (one quick test before redacting a large file piece by piece)."""
    return bool(_ANY_MARKER.search(text) or _CREDENTIAL_WORD.search(text)
                or _URL_QUERY_MARKER.search(text)) or any(
        is_random_token(match.group(0)) for match in _LONG_TOKEN.finditer(text))


def find_token(text: str) -> str | None:
    """The kind of the first credential in a known format in ``text``, or None."""
    if _ANY_MARKER.search(text) is None:
        return None
    for marker, kind, pattern in TOKEN_PATTERNS:
        if marker.search(text):
            for match in pattern.finditer(text):
                if kind == "password in a URL" and _URL_PLACEHOLDER.search(match.group(0)):
                    continue
                return kind
    return None


def is_sensitive_name(name: str) -> bool:
    name = name.rsplit(".", 1)[-1]
    return bool(SENSITIVE_NAME.search(name)) and not NOT_SENSITIVE_SUFFIX.search(name)


def looks_like_secret_value(value: str) -> bool:
    """A literal that could be a real credential: one word, no regex or format syntax."""
    value = value.strip()
    return (len(value) >= 4 and not OBVIOUS_PLACEHOLDER.match(value)
            and not any(c.isspace() or c in "\\{}()[]" for c in value))


def is_random_token(text: str) -> bool:
    """Long, mixed letters and digits, high entropy: an API key without a known prefix.

    Hex strings and UUIDs (git SHAs, content hashes, ids) are not secrets by themselves, and runs
    longer than any key format are embedded data (base64 images).
    """
    if not 32 <= len(text) <= 128 or not _TOKEN_CHARS.fullmatch(text) or _HEX_OR_UUID.match(text.rstrip("=")):
        return False
    if text.startswith(_BASE64_FILE_MAGIC):  # an embedded image or document, not a key
        return False
    if not (any(c.islower() for c in text) and any(c.isupper() for c in text)
            and sum(c.isdigit() for c in text) >= 3):
        return False
    if "/" in text.strip("/") and text.count("/") >= 2:  # a path, not a token
        return False
    counts = {c: text.count(c) for c in set(text)}
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return entropy >= 4.3


def redact_tokens(text: str) -> tuple[str, list[str]]:
    """``text`` with every credential in a known format or random-looking token replaced."""
    kinds: list[str] = []

    def replace(kind: str):
        def inner(match: re.Match[str]) -> str:
            if kind == "password in a URL" and _URL_PLACEHOLDER.search(match.group(0)):
                return match.group(0)
            kinds.append(kind)
            return REDACTED
        return inner

    if _ANY_MARKER.search(text):
        for marker, kind, pattern in TOKEN_PATTERNS:
            if marker.search(text):
                text = pattern.sub(replace(kind), text)

    def random_token(match: re.Match[str]) -> str:
        if is_random_token(match.group(0)):
            kinds.append("random-looking token")
            return REDACTED
        return match.group(0)

    def query_value(match: re.Match[str]) -> str:
        value = match.group("value")
        if len(value) < 4 or value.startswith(REDACTED) or OBVIOUS_PLACEHOLDER.match(value) \
                or value.startswith(("{", "$", "%s", "<")) or not any(c.isalnum() for c in value):
            # (a value the code fills in, or an ellipsis)
            return match.group(0)
        kinds.append(f"{match.group('name').lower()} in a URL")
        return match.group("head") + REDACTED

    if _URL_QUERY_MARKER.search(text):
        text = _URL_QUERY_SECRET.sub(query_value, text)
    return _LONG_TOKEN.sub(random_token, text), kinds


# a credential in a URL's query (a token, an OpenWeatherMap appid, an Azure SAS signature):
# the names services give those parameters
_QUERY_NAMES = (r"(?:access_?token|auth_?token|id_token|refresh_token|token|api_?key|apikey|key|"
                r"appid|app_?id|app_?key|client_?secret|secret|password|passwd|pwd|sig|"
                r"signature|x-amz-signature|x-amz-security-token|auth|sas|code)")
_URL_QUERY_MARKER = re.compile(rf"(?i)[?&;]{_QUERY_NAMES}=")
_URL_QUERY_SECRET = re.compile(rf"(?i)(?P<head>[?&;](?P<name>{_QUERY_NAMES})=)"
                               r"(?P<value>[^&#\s'\"<>]+)")


def redact(text: str) -> tuple[str, list[str]]:
    """Prose, comments, printed output: tokens, and values written next to a sensitive name."""
    text, kinds = redact_tokens(text)

    def named(match: re.Match[str]) -> str:
        quoted = match.group("quoted") is not None
        value = (match.group("quoted") if quoted else match.group("value")).strip()
        if (is_sensitive_name(match.group("name")) and _could_be_secret(value, quoted)
                and REDACTED not in value and not value.startswith(("os.environ", "getpass"))):
            kinds.append(f"value of {match.group('name')}")
            quote = match.group("quote") or ""
            return f"{match.group('name')}{match.group('sep')}{quote}{REDACTED}{quote}"
        return match.group(0)

    return _NAMED_VALUE.sub(named, text), kinds


def _could_be_secret(value: str, quoted: bool) -> bool:
    """A value written next to a sensitive name that may be the credential itself: not a
    placeholder, not code (`token = get_token()`, `cfg["token"]`, `settings.token`)."""
    if OBVIOUS_PLACEHOLDER.match(value) or len(value) < 4:
        return False
    return quoted or not _EXPRESSION.match(value)


def redact_text(text: str) -> str:
    """What the generated stdout test applies to both the expected and the actual output."""
    return redact(text)[0]
