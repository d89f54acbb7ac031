"""The work behind `moltbot onboard`: from nothing to a checked key and a default model.

Everything is collected first (flags, or the wizard's questions), then written at the end in
a fixed order: the key is checked, then stored, then the config is written. A rejected key
or a Ctrl-C therefore leaves no trace: no config, no keyring entry, no key file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moltbot_cli import credentials
from moltbot_cli.commands.auth_work import (
    KEYS_PAGE,
    UNCHECKABLE,
    cannot_check,
    describe_key_info,
    make_client,
    show_key_info,
    verify_key,
    warn_if_env_overrides,
)
from moltbot_cli.commands.context import AppContext
from moltbot_cli.commands.models_work import drop_from_fallbacks
from moltbot_cli.commands.signin_work import SignInOptions
from moltbot_cli.config.document import Document
from moltbot_cli.config.settings import (
    AUTH_PROFILE_PATH,
    MODEL_ROUTING_KEYS,
    MODELS_PATH,
    PRIMARY_PATH,
    Settings,
)
from moltbot_cli.console import Output, command_with_config, stdin_is_terminal
from moltbot_cli.errors import AuthError, MoltbotError, UsageError
from moltbot_cli.masking import mask_key
from moltbot_cli.openrouter.server import belonging_to, opening
from moltbot_cli.records import Record, field
from moltbot_cli.vocabulary import refs

if TYPE_CHECKING:
    from moltbot_cli.config.document import Document
    from moltbot_cli.openrouter.catalogue import Catalogue

# Accepted spellings, matched case-insensitively, and whether each means "set up a key".
AUTH_CHOICES = {
    "apikey": True,
    "openrouter-api-key": True,
    "oauth": True,
    "openrouter-oauth": True,
    "skip": False,
}
AUTH_CHOICE_NAMES = "oauth, openrouter-oauth, apiKey, openrouter-api-key, skip"
SIGN_IN_CHOICES = ("oauth", "openrouter-oauth")
KEY_FLAGS = "--token KEY (or --token-stdin), with --auth-choice apiKey"
SIGN_IN_ANSWER, PASTE_ANSWER = "1", "2"
TOKEN_PROVIDERS = ("openrouter",)
AUTH_PROFILE = {"provider": "openrouter", "mode": "api_key"}
EMPTY_CONFIG = "{\n}\n"
NEXT_STEP = 'moltbot chat "hello"'
MATCHES_SHOWN = 12
ANSWER_ROOM = 12  # columns left after a wrapped question for the answer typed there


class OnboardOptions(Record):
    auth_choice: str | None = None
    token_provider: str | None = None
    token: str | None = None
    openrouter_api_key: str | None = None
    token_stdin: bool = False
    no_browser: bool = False
    key_label: str | None = None
    sign_in_timeout: float | None = None
    test_chat: bool = False
    model: str | None = None
    key_store: str = "auto"
    skip_validate: bool = False
    non_interactive: bool = False
    reset: bool = False


class Plan(Record):
    """What onboard will do, decided in full before anything is written."""

    model: str
    wants_key: bool
    key: str | None = None  # the key to use; None with --auth-choice skip
    store: bool = False  # store `key`, or use it where it already is
    found_in: str | None = None  # where a reused key already lives
    validated: bool = False
    routing: dict[str, list[str]] = field(default_factory=dict)
    test_chat: bool = False  # send one tiny chat once everything is saved


# -- flags ----------------------------------------------------------------------------------


def wants_a_key(options: OnboardOptions) -> bool:
    """Check --auth-choice and --token-provider; whether this run sets up a key."""
    if (
        options.token_provider is not None
        and options.token_provider.strip().lower() not in TOKEN_PROVIDERS
    ):
        raise UsageError(
            f"unknown --token-provider {options.token_provider!r}; nothing was written",
            hint=f"Accepted: {', '.join(TOKEN_PROVIDERS)}.",
        )
    if options.auth_choice is None:
        return True
    choice = options.auth_choice.strip().lower()
    if choice not in AUTH_CHOICES:
        raise UsageError(
            f"unknown --auth-choice {options.auth_choice!r}; nothing was written",
            hint=f"Accepted: {AUTH_CHOICE_NAMES}.",
        )
    return AUTH_CHOICES[choice]


def signs_in(options: OnboardOptions) -> bool:
    """--auth-choice oauth: sign in with OpenRouter for a new key."""
    return (options.auth_choice or "").strip().lower() in SIGN_IN_CHOICES


def sign_in_options(options: OnboardOptions) -> SignInOptions:
    return SignInOptions(
        no_browser=options.no_browser,
        key_label=options.key_label,
        timeout=options.sign_in_timeout,
        may_ask=not options.non_interactive,
    )


def _check_sign_in_flags(options: OnboardOptions, key: str | None) -> None:
    """The sign-in flags fit the rest of the command line; all checked before any waiting."""
    from moltbot_cli.commands import signin_work
    from moltbot_cli.openrouter.signin import clean_key_label

    sign_in_flags = [
        flag
        for flag, given in (
            ("--no-browser", options.no_browser),
            ("--key-label", options.key_label is not None),
            ("--sign-in-timeout", options.sign_in_timeout is not None),
        )
        if given
    ]
    chosen = (options.auth_choice or "").strip().lower()
    if sign_in_flags and chosen and chosen not in SIGN_IN_CHOICES:
        raise UsageError(
            f"{sign_in_flags[0]} applies to signing in, not to --auth-choice "
            f"{options.auth_choice}; nothing was written",
            hint="Use --auth-choice oauth to sign in with OpenRouter.",
        )
    if sign_in_flags and not chosen and key is not None:
        raise UsageError(
            f"{sign_in_flags[0]} applies to signing in, but a key was given; nothing was written",
            hint="Drop the key and use --auth-choice oauth to sign in, or drop "
            f"{sign_in_flags[0]}.",
        )
    if options.key_label is not None:
        clean_key_label(options.key_label)
    if not signs_in(options):
        return
    signin_work.timeout_seconds(options.sign_in_timeout)
    if key is not None:
        raise UsageError(
            f"--auth-choice {options.auth_choice} signs in for a new key, but a key was given; "
            "nothing was written",
            hint="Drop the key, or use --auth-choice apiKey to store it.",
        )
    signin_work.check_possible(sign_in_options(options), KEY_FLAGS)


def given_key(options: OnboardOptions) -> str | None:
    """The key passed on the command line or stdin, if any; two different ones is an error."""
    candidates = [
        (flag, value)
        for flag, value in (
            ("--token", options.token),
            ("--openrouter-api-key", options.openrouter_api_key),
        )
        if value is not None
    ]
    if options.token_stdin:
        if candidates:
            raise UsageError(
                f"--token-stdin and {candidates[0][0]} both give a key; use one of them"
            )
        import sys

        if stdin_is_terminal():
            raise UsageError(
                "--token-stdin reads the key from stdin, which is a terminal",
                hint='Pipe the key in (`printf %s "$KEY" | moltbot onboard --token-stdin`), or '
                "run `moltbot onboard` to type it hidden.",
            )
        raw = sys.stdin.read()
        if not raw.strip():
            raise UsageError(
                "--token-stdin: no key on stdin", hint="Pipe the key in, or pass --token KEY."
            )
        return credentials.clean_key(raw)
    keys = {credentials.clean_key(value) for _, value in candidates}
    if len(keys) > 1:
        raise UsageError("--token and --openrouter-api-key give different keys; use one of them")
    return keys.pop() if keys else None


# -- the run --------------------------------------------------------------------------------


def onboard(app: AppContext, out: Output, options: OnboardOptions) -> None:
    wants_key = wants_a_key(options)
    if options.key_store not in credentials.STORES:
        raise UsageError(
            f"unknown --key-store {options.key_store!r}; nothing was written",
            hint=f"Accepted: {', '.join(credentials.STORES)}.",
        )
    key = given_key(options)
    if key is not None and options.key_store == "keyring":
        credentials.require_keyring(app.config_path)
    if key is not None and not wants_key:
        raise UsageError(
            "--auth-choice skip sets up no key, but a key was given",
            hint="Drop the key, or use --auth-choice apiKey.",
        )
    _check_sign_in_flags(options, key)
    if options.test_chat and not wants_key:
        raise UsageError(
            "--test-chat needs a key, and --auth-choice skip sets up none; nothing was written"
        )
    # A broken config stops here (exit 3), before a key is checked or stored; --reset
    # exists to start over from one, so it does not need the old file to be readable.
    settings = Settings({}) if options.reset else app.store.settings()
    model = resolve_model(settings, options.model) if options.model else None

    interactive = not options.non_interactive and wants_key and key is None and stdin_is_terminal()
    if interactive:
        plan = Wizard(app, out, options, settings, model).run()
    else:
        plan = _plan_from_flags(app, out, options, settings, wants_key, key, model)
        plan.test_chat = options.test_chat
    _apply(app, out, options, settings, plan)
    if plan.test_chat and plan.key is not None:
        from moltbot_cli.commands.first_chat import send_test_chat

        send_test_chat(app, out, plan.model, plan.key)


def resolve_model(settings: Settings, text: str) -> str:
    """--model as a ref; for a bare slug (`gpt-5.2`), name the cached catalogue's nearest refs."""
    try:
        return settings.resolve(text)
    except UsageError as error:
        from moltbot_cli.openrouter import catalogue

        cached = catalogue.read_cache(settings.base_url)  # no network before the key check
        near = cached.closest(text, limit=3) if cached is not None else []
        if near:
            error.hint = f"Did you mean {' or '.join(near)}?"
        raise


def _plan_from_flags(
    app: AppContext,
    out: Output,
    options: OnboardOptions,
    settings: Settings,
    wants_key: bool,
    key: str | None,
    model: str | None,
) -> Plan:
    plan = Plan(model=model or settings.primary or refs.DEFAULT_MODEL, wants_key=wants_key)
    if not wants_key:
        return plan
    if signs_in(options):
        from moltbot_cli.commands.signin_work import sign_in

        plan.key, plan.store = sign_in(app, out, settings.base_url, sign_in_options(options)), True
    elif key is None:
        found = credentials.find_key(app.config_path, settings)
        if found.key is None:
            raise UsageError(
                "no API key given, and none is stored",
                hint="Pass it with --token KEY (or --token-stdin to read it from stdin); "
                "--auth-choice skip sets up without one.",
            )
        credentials.check_sendable(found, app.config_path)
        plan.key, plan.found_in = found.key, found.source
    else:
        plan.key, plan.store = key, True
    if warning := credentials.shape_warning(plan.key):
        out.warn(warning)
    if not options.skip_validate:
        try:
            info = verify_key(app, out, settings, plan.key)
        except UNCHECKABLE as error:
            raise cannot_check(error) from None
        show_key_info(out, info, plan.key)
        plan.validated = True
    if model is not None:
        # --skip-validate skips the key check only: the catalogue needs no valid key.
        _refuse_unknown_model(app, out, settings, model, plan.key)
    return plan


def load_catalogue(
    app: AppContext, out: Output, settings: Settings, key: str | None = None
) -> Catalogue:
    """The shared model catalogue: the cache when fresh, else GET /models (with the key
    when there is one: a gateway may want it)."""
    from moltbot_cli.openrouter import catalogue

    return catalogue.load(
        settings.base_url,
        lambda: make_client(app, settings, key),
        note=out.note,
        waiting=lambda: out.spinner("Loading the model catalogue…"),
    )


def _refuse_unknown_model(
    app: AppContext, out: Output, settings: Settings, ref: str, key: str | None
) -> None:
    """A typo in --model would make every chat fail later; catch it while online."""
    try:
        known = load_catalogue(app, out, settings, key)
    except MoltbotError:
        return  # the catalogue cannot be had: trust the ref
    if known.knows(ref):
        return
    near = known.closest(ref, limit=3)
    raise UsageError(
        f"{ref} is not in {belonging_to(known.server, 'model catalogue')}; nothing was written",
        hint=f"Did you mean {' or '.join(near)}?"
        if near
        else "See the models with `moltbot models list --all`.",
    )


# -- writing --------------------------------------------------------------------------------


def _edits(settings: Settings, plan: Plan) -> list[tuple[tuple[str | int, ...], Any]]:
    edits: list[tuple[tuple[str | int, ...], Any]] = [(PRIMARY_PATH, plan.model)]
    if plan.wants_key:
        edits.append((AUTH_PROFILE_PATH, dict(AUTH_PROFILE)))
    entry = settings.entry_key(plan.model) or plan.model
    # Into the routing the model already has, whichever spelling; else the seed's.
    where = settings.routing_key(plan.model) or MODEL_ROUTING_KEYS[0]
    for name, slugs in plan.routing.items():
        edits.append(((*MODELS_PATH, entry, *where, name), slugs))
    return edits


def _apply_edits(document: Document, edits: list[tuple[tuple[str | int, ...], Any]]) -> Document:
    for path, value in edits:
        current = document.get(path) if document.has(path) else None
        # Leave equal values as the user wrote them (an unprefixed ref, their own spacing).
        if current == value or (
            path == PRIMARY_PATH and isinstance(current, str) and refs.same_model(current, value)
        ):
            continue
        document = document.set(path, value)
    return document


def _apply(
    app: AppContext,
    out: Output,
    options: OnboardOptions,
    settings: Settings,
    plan: Plan,
) -> None:
    stored: str | None = None
    if plan.key is not None and plan.store:
        stored = credentials.store_key(plan.key, app.config_path, options.key_store, warn=out.warn)
    edits = _edits(settings, plan)
    dropped: list[bool] = []

    def edit(document: Document) -> Document:
        document, removed = drop_from_fallbacks(_apply_edits(document, edits), plan.model, settings)
        dropped.append(removed)
        return document

    try:
        if options.reset:
            app.store.replace(edit(app.store.parse(EMPTY_CONFIG)).text)
        else:
            app.store.update(edit)
    except (MoltbotError, OSError) as error:
        if stored is None and isinstance(error, MoltbotError):
            raise
        # The key is already in place: say so, or the user would think nothing happened.
        if isinstance(error, MoltbotError):
            failure, why, hint = type(error), error.message, error.hint
        else:
            failure, why, hint = MoltbotError, f"{error.strerror or error} ({error.filename})", None
        done = (
            f"the key was stored in {credentials.describe_store(stored, app.config_path)}, but "
            if stored
            else ""
        )
        raise failure(
            f"{done}the config was not written: {why}",
            hint=hint
            or f"Fix that and run `moltbot onboard` again; {app.config_path} was left as it was.",
        ) from None

    if any(dropped):
        out.note(f"Removed {plan.model} from the fallbacks: it is the default now.")
    key_store = stored or plan.found_in
    if out.is_json:
        out.json(
            {
                "configPath": str(app.config_path),
                "model": plan.model,
                "keyStore": key_store,
                "validated": plan.validated,
            }
        )
    else:
        _summary(app, out, options, plan, stored)
    if plan.key is not None:
        warn_if_env_overrides(out, plan.key)
        if stored is not None and settings.env_api_key:
            out.warn(
                f"{app.config_path} still holds a key in plain text at env.OPENROUTER_API_KEY; "
                "remove it with `moltbot config unset env.OPENROUTER_API_KEY`."
            )


def _summary(
    app: AppContext, out: Output, options: OnboardOptions, plan: Plan, stored: str | None
) -> None:
    if plan.key is None:
        # --auth-choice skip sets up no key, but one may already be in use.
        try:
            in_use = credentials.find_key(app.config_path, app.store.settings())
        except MoltbotError:
            in_use = credentials.FoundKey(None, "none")
        if in_use.key is not None:
            where = credentials.describe_source(in_use, app.config_path)
            key_line = f"{mask_key(in_use.key)} from {where} (left as it is: --auth-choice skip)"
        else:
            key_line = (
                "none (--auth-choice skip); set OPENROUTER_API_KEY or run `moltbot onboard` later"
            )
    elif stored is not None:
        key_line = (
            f"{mask_key(plan.key)} stored in {credentials.describe_store(stored, app.config_path)}"
        )
    else:
        found = credentials.FoundKey(plan.key, plan.found_in or "none")
        where = credentials.describe_source(found, app.config_path)
        if plan.found_in == "env":
            key_line = (
                f"{mask_key(plan.key)} from {where}, not stored: moltbot has it only while "
                f"{credentials.ENV_VAR} is set"
            )
        else:
            key_line = f"{mask_key(plan.key)} from {where} (kept where it is)"
    if plan.key is not None and not plan.validated:
        key_line += "; not checked"
    rows = [("API key", key_line), ("Default model", plan.model), ("Config", str(app.config_path))]
    if plan.routing:
        rows.append(
            (
                "Routing",
                "; ".join(f"{name} {', '.join(slugs)}" for name, slugs in plan.routing.items()),
            )
        )
    if options.reset:
        rows.append(("Old config", f"kept as {app.config_path.name}.bak beside it"))
    out.line("moltbot is set up:")
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        out.line(f"  {label.ljust(width)}{value}")
    out.line(f"Next, try: {command_with_config(NEXT_STEP)}")


# -- the wizard -----------------------------------------------------------------------------


class Wizard:
    """The questions, asked on stderr, when a person is at the terminal and a key is missing."""

    def __init__(
        self,
        app: AppContext,
        out: Output,
        options: OnboardOptions,
        settings: Settings,
        model: str | None,
    ) -> None:
        self.app = app
        self.out = out
        self.options = options
        self.settings = settings
        self.model = model
        self.online = not options.skip_validate
        out.wrap_for_people()  # its sentences and lists, wrapped to the terminal's width

    def run(self) -> Plan:
        self.out.note(
            "Welcome to moltbot! Let's connect your OpenRouter account and pick a default model.\n"
            "Nothing is saved until the end; Ctrl-C quits at any point."
        )
        plan = Plan(model="", wants_key=True)
        self._key(plan)
        plan.model = self.model or self._pick_model()
        if self.online:
            assert plan.key is not None
            plan.routing = self._routing(plan.model, plan.key)
        plan.test_chat = self.options.test_chat or (
            self.online
            and self._confirm(
                f"Send a test chat to {plan.model} once saved? (one short reply, a tiny cost)",
                default=True,
            )
        )
        return plan

    # -- asking -----------------------------------------------------------------------------

    def _ask(self, text: str, default: str = "", *, hide: bool = False) -> str:
        import typer

        answer = typer.prompt(
            self._question(text, ": "),
            default=default,
            show_default=False,
            hide_input=hide,
            err=True,
        )
        return str(answer).strip()

    def _confirm(self, text: str, default: bool) -> bool:
        import typer

        return bool(typer.confirm(self._question(text, " [Y/n]: "), default=default, err=True))

    def _question(self, text: str, suffix: str) -> str:
        """A question wrapped so that it, what the prompt adds and a short answer fit."""
        width = self.out.prose_width()
        if width is None:
            return text
        from moltbot_cli.wrapping import wrap_text

        return wrap_text(text, width - len(suffix) - ANSWER_ROOM)

    # -- the key ----------------------------------------------------------------------------

    def _key(self, plan: Plan) -> None:
        if signs_in(self.options):
            self._sign_in(plan)
            return
        found = credentials.find_key(self.app.config_path, self.settings)
        if found.key is not None:
            where = credentials.describe_source(found, self.app.config_path)
            if self._confirm(
                f"Found a key ({mask_key(found.key)}) from {where}. Use it?", default=True
            ):
                plan.key, plan.found_in = found.key, found.source
                if self._checks_out(plan):
                    if found.source == "env":
                        # A key only in the environment is gone in the next shell.
                        plan.store = self._confirm(
                            f"Store it too, so moltbot works without {credentials.ENV_VAR} set?",
                            default=True,
                        )
                    return
        if self.options.auth_choice is None and self._chooses_sign_in():
            self._sign_in(plan)
            return
        while True:
            self.out.note(f"Paste your OpenRouter API key (create one at {KEYS_PAGE}).")
            raw = self._ask("API key (input hidden)", hide=True)
            try:
                key = credentials.clean_key(raw)
            except UsageError as error:
                self.out.note(f"{error.message[0].upper()}{error.message[1:]}; try again.")
                continue
            if warning := credentials.shape_warning(key):
                self.out.warn(warning)
            plan.key, plan.store, plan.found_in = key, True, None
            if self._checks_out(plan):
                return

    def _chooses_sign_in(self) -> bool:
        self.out.note(
            "How do you want to connect to OpenRouter?\n"
            f"  {SIGN_IN_ANSWER}. Sign in with OpenRouter (opens your browser)\n"
            f"  {PASTE_ANSWER}. Paste an API key"
        )
        while True:
            answer = self._ask(
                f"Choose {SIGN_IN_ANSWER} or {PASTE_ANSWER} [{SIGN_IN_ANSWER}]", SIGN_IN_ANSWER
            )
            if answer in (SIGN_IN_ANSWER, PASTE_ANSWER):
                return answer == SIGN_IN_ANSWER
            self.out.note(f"Type {SIGN_IN_ANSWER} or {PASTE_ANSWER} (Enter signs in).")

    def _sign_in(self, plan: Plan) -> None:
        """Sign in until a key checks out; a rejected code offers another try."""
        from moltbot_cli.commands.signin_work import check_possible, sign_in
        from moltbot_cli.openrouter.signin import SignInRejected

        options = sign_in_options(self.options)
        check_possible(options, KEY_FLAGS)
        while True:
            try:
                key = sign_in(self.app, self.out, self.settings.base_url, options)
            except SignInRejected as error:
                self.out.note(f"{error.message[0].upper()}{error.message[1:]}.")
                if self._confirm("Try signing in again?", default=True):
                    continue
                raise
            plan.key, plan.store, plan.found_in = key, True, None
            if self._checks_out(plan):
                return
            if not self._confirm("Try signing in again?", default=True):
                raise AuthError("the new key did not pass the check; nothing was written")

    def _checks_out(self, plan: Plan) -> bool:
        """Check the key; False when OpenRouter rejects it (ask for another one)."""
        assert plan.key is not None
        if self.options.skip_validate:
            return True
        try:
            info = verify_key(self.app, self.out, self.settings, plan.key)
        except AuthError as error:
            self.out.note(f"{error.message.rstrip('.')}. Try another key, or Ctrl-C to quit.")
            return False
        except UNCHECKABLE as error:
            self.out.note(f"Could not check the key: {error.message}")
            question = "Save the key anyway" if plan.store else "Use the key anyway"
            if not self._confirm(f"{question}, without checking it?", default=False):
                raise cannot_check(error) from None
            self.online = False
            return True
        self.out.note(f"Key OK: {describe_key_info(info, plan.key)}")
        plan.validated = True
        return True

    # -- the model --------------------------------------------------------------------------

    def _pick_model(self) -> str:
        current = self.settings.primary or refs.DEFAULT_MODEL
        catalogue = self._catalogue()
        if catalogue is None:
            return self._type_ref(current)
        return self._search(catalogue, current)

    def _catalogue(self) -> list[dict[str, Any]] | None:
        """The catalogue to search; offline, a cached one if there is one; else None."""
        from moltbot_cli.openrouter import catalogue

        if self.online:
            try:
                found: Catalogue | None = load_catalogue(self.app, self.out, self.settings)
            except MoltbotError as error:
                self.out.note(f"Could not load the model catalogue ({error.message}).")
                self.online = False
                found = None
        else:
            found = catalogue.read_cache(self.settings.base_url)
            if found is not None:
                age = catalogue.describe_age(found.age_seconds)
                self.out.note(f"Offline: searching the model list cached {age} ago.")
        models = found.models if found is not None else []
        return [item for item in models if isinstance(item.get("id"), str)] or None

    def _type_ref(self, current: str) -> str:
        while True:
            answer = self._ask(
                f"Default model (a reference like {refs.DEFAULT_MODEL}; Enter keeps {current})"
            )
            if not answer:
                return current
            try:
                return self.settings.resolve(answer)
            except UsageError as error:
                self.out.note(f"{error.message}. {error.hint or ''}".strip())

    def _search(self, catalogue: list[dict[str, Any]], current: str) -> str:
        by_ref = {refs.ref_for_id(item["id"]): item for item in catalogue}
        self.out.note(
            f"Default model: {current}. Type words to search the {len(catalogue)} models "
            "(e.g. `claude sonnet`), then a number to pick one; Enter keeps the current one."
        )
        shown: list[str] = []
        while True:
            answer = self._ask("Search, or pick a number" if shown else "Search models")
            if not answer:
                return current
            if answer.isdigit() and shown:
                index = int(answer)
                if 1 <= index <= len(shown):
                    return shown[index - 1]
                self.out.note(
                    f"Pick a number from 1 to {len(shown)}, or type words to search again."
                )
                continue
            exact = self._exact(answer, by_ref)
            if exact:
                return exact
            matches = search_models(catalogue, answer)
            if not matches:
                self.out.note(f"No model matches {answer!r}; try fewer or other words.")
                continue
            shown = [refs.ref_for_id(item["id"]) for item in matches[:MATCHES_SHOWN]]
            for number, item in enumerate(matches[:MATCHES_SHOWN], start=1):
                self._row(f"  {number:>2}. {shown[number - 1]}", *describe_model(item))
            if len(matches) > MATCHES_SHOWN:
                self.out.note(
                    f"  … and {len(matches) - MATCHES_SHOWN} more; add words to narrow it down."
                )

    def _row(self, head: str, name: str, figures: str) -> None:
        """One row of a list to pick from, fitted to the terminal: the name gives way."""
        from moltbot_cli.wrapping import fit_row

        for line in fit_row(head, name, figures, self.out.prose_width()):
            self.out.note(line)

    def _exact(self, answer: str, by_ref: dict[str, dict[str, Any]]) -> str | None:
        try:
            ref = self.settings.resolve(answer)
        except UsageError:
            return None
        return ref if ref in by_ref else None

    # -- routing ----------------------------------------------------------------------------

    def _routing(self, ref: str, key: str) -> dict[str, list[str]]:
        current = self.settings.routing(ref)
        shown = {name: current[name] for name in ("only", "order") if current.get(name)}
        if shown:
            described = "; ".join(
                f"{name} {', '.join(map(str, slugs))}" for name, slugs in shown.items()
            )
            self.out.note(f"{ref} is routed: {described}.")
        if not self._confirm(f"Choose which providers serve {ref}? (optional)", default=False):
            return {}
        try:
            with (
                make_client(self.app, self.settings, key) as client,
                self.out.spinner("Finding the providers that serve it…"),
            ):
                data = client.model_endpoints(refs.wire_id(ref))
                server = client.server
        except MoltbotError as error:
            self.out.note(f"Could not list its providers ({error.message}); skipping routing.")
            return {}
        providers = providers_of(data)
        if not providers:
            self.out.note(f"{opening(server)} lists no providers for it; skipping routing.")
            return {}
        self.out.note(f"Providers serving {ref}:")
        from moltbot_cli.wrapping import fit_table

        rows = [
            (f"  {number:>2}. {slug}", name, figures)
            for number, (slug, name, figures) in enumerate(providers, start=1)
        ]
        for line in fit_table(rows, self.out.prose_width()):
            self.out.note(line)
        slugs = [slug for slug, _, _ in providers]
        routing: dict[str, list[str]] = {}
        only = self._slugs(
            "Only use these (numbers or slugs, comma-separated; Enter for any)", slugs
        )
        if only:
            routing["only"] = only
        if len(only) != 1:
            order = self._slugs(
                "Try them in this order (numbers or slugs; Enter leaves the order to OpenRouter)",
                slugs,
                within=only,
            )
            if order:
                routing["order"] = order
        return routing

    def _slugs(
        self, question: str, choices: list[str], within: list[str] | None = None
    ) -> list[str]:
        while True:
            answer = self._ask(question)
            try:
                picked = parse_selection(answer, choices)
            except UsageError as error:
                self.out.note(error.message)
                continue
            outside = [slug for slug in picked if within and slug not in within]
            if not outside:
                return picked
            kept = ", ".join(within or [])
            self.out.note(f"{', '.join(outside)} is not among the providers you kept ({kept}).")


# -- pieces the wizard is made of -------------------------------------------------------------


def search_models(catalogue: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """Models whose id or name holds every word; closest (shortest, id-first) first."""
    words = query.casefold().split()

    def haystack(item: dict[str, Any]) -> str:
        return f"{item['id']} {item.get('name') or ''}".casefold()

    matches = [item for item in catalogue if all(word in haystack(item) for word in words)]
    return sorted(
        matches,
        key=lambda item: (
            not all(word in item["id"].casefold() for word in words),
            len(item["id"]),
            item["id"],
        ),
    )


def _per_million(value: Any) -> str | None:
    try:
        price = float(value) * 1_000_000
    except (TypeError, ValueError):
        return None
    if price < 0:
        return None  # OpenRouter's meta-models price as -1: it depends on the model chosen
    return "free" if price == 0 else f"${price:,.2f}"


def _prices(item: dict[str, Any]) -> tuple[str | None, str | None]:
    """Prompt and completion prices per million tokens, from a model's or endpoint's pricing."""
    pricing = item.get("pricing")
    if not isinstance(pricing, dict):
        return None, None
    return _per_million(pricing.get("prompt")), _per_million(pricing.get("completion"))


def _tokens(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.3g}M"
    return f"{count // 1000}k" if count >= 1000 else str(count)


def describe_model(item: dict[str, Any]) -> tuple[str, str]:
    """A model's `(name)` and its figures (prices, context), two spaces between figures."""
    name = item.get("name")
    figures = []
    prompt, completion = _prices(item)
    if prompt and completion:
        figures.append(
            "free"
            if prompt == completion == "free"
            else f"{prompt}/{completion} per M tokens in/out"
        )
    context = item.get("context_length")
    if isinstance(context, int) and context > 0:
        figures.append(f"{_tokens(context)} context")
    return (f"({name})" if isinstance(name, str) and name else ""), "  ".join(figures)


def providers_of(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(slug, provider name, figures) for each endpoint with a slug, once each, in the
    server's order."""
    endpoints = data.get("endpoints")
    found: dict[str, tuple[str, str]] = {}
    for endpoint in endpoints if isinstance(endpoints, list) else []:
        if not isinstance(endpoint, dict):
            continue
        slug = endpoint.get("tag")
        if not isinstance(slug, str) or not slug or slug in found:
            continue
        bits = []
        if endpoint.get("quantization") not in (None, "", "unknown"):
            bits.append(str(endpoint["quantization"]))
        prompt, completion = _prices(endpoint)
        if prompt and completion:
            bits.append(f"{prompt}/{completion} per M")
        found[slug] = (str(endpoint.get("provider_name") or ""), "  ".join(bits))
    return [(slug, name, figures) for slug, (name, figures) in found.items()]


def parse_selection(answer: str, choices: list[str]) -> list[str]:
    """`1, 3` or `anthropic, google-vertex` (mixed is fine) → slugs, in the order typed."""
    picked: list[str] = []
    for part in (piece.strip() for piece in answer.replace(" ", ",").split(",")):
        if not part:
            continue
        if part.isdigit():
            index = int(part)
            if not 1 <= index <= len(choices):
                raise UsageError(f"{index} is not on the list (1 to {len(choices)}); try again.")
            slug = choices[index - 1]
        elif part in choices:
            slug = part
        else:
            raise UsageError(f"{part!r} is not one of: {', '.join(choices)}; try again.")
        if slug not in picked:
            picked.append(slug)
    return picked
