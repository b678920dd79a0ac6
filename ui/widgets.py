"""Shared widgets: role check, French error display, tables."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clausier.errors import DomainError, ValidationError
from clausier.services.users import CurrentUser
from models.enums import Role


def current_user() -> CurrentUser | None:
    return st.session_state.get("clausier_user")


def require_role(needed: Role) -> CurrentUser:
    """First line of every screen: stop here unless the logged-in user's role allows it."""
    user = current_user()
    if user is None:
        st.warning("Connectez-vous pour accéder à cette page.")
        st.stop()
    if not user.can(needed):
        st.error("Votre rôle ne permet pas d'ouvrir cette page.")
        st.stop()
    return user


def field_error(errors: dict[str, str], field: str) -> None:
    """The French message of one field, shown under it (plain text, never HTML)."""
    if field in errors:
        error(errors[field])


def error(text: str) -> None:
    """An error message that may quote what the user typed: shown as typed, never as Markdown or HTML."""
    st.error(md_escape(text), icon="⚠️")


def success(text: str) -> None:
    st.success(md_escape(text))


def table(frame: pd.DataFrame, **kwargs) -> None:
    st.dataframe(frame, hide_index=True, **kwargs)


_MD_SPECIAL = "\\`*_{}[]<>#|~$"


def md_escape(text: str) -> str:
    """User text inside a Markdown string: every Markdown and HTML character escaped, so it shows as typed."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))


def cell(value):
    """A data-editor cell, with pandas' blanks (None, NaN, NA) as None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def run_action(action, *, errors_key: str, flash_key: str, message: str, clear_prefix: str | None = None) -> None:
    """One user action in one transaction. Refused: the French messages go next to their fields (``errors_key``)
    and what was typed stays. Done: a message for the next run (``flash_key``), the caches cleared, and the
    create form emptied (widgets whose key starts with ``clear_prefix``)."""
    from ui import cached
    from ui.db import session_scope

    try:
        with session_scope() as session:
            result = action(session)
    except ValidationError as exc:
        st.session_state[errors_key] = exc.errors
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    st.session_state.pop(errors_key, None)
    # An action may return a warning (a French sentence) to show after its success.
    st.session_state[flash_key] = [message] + ([("warning", result)] if isinstance(result, str) else [])
    if clear_prefix:  # new widget keys: the browser keeps a widget's value as long as its key lives
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(clear_prefix)]:
            del st.session_state[key]
        st.session_state[f"gen:{clear_prefix}"] = st.session_state.get(f"gen:{clear_prefix}", 0) + 1
    cached.clear()
    st.rerun()


def confirmed_button(label: str, confirm: str, *, key: str, confirm_key: str, enabled: bool = True) -> bool:
    """A button for what cannot be undone (a deletion, an anonymisation): disabled until its confirmation box
    is ticked (and while ``enabled`` is false); True on the click."""
    sure = st.checkbox(confirm, key=confirm_key)
    return st.button(label, key=key, disabled=not (sure and enabled))


def keep_choice(key: str, value) -> None:
    """Before a rerun that follows a write: choose ``value`` again in the select box ``key``. The browser names a
    choice by its label; when the write changes that label (a title, a date, a step), the old choice is no longer
    offered and the box would fall back to empty, the next click then lost. See :func:`restore_choice`."""
    st.session_state[f"{key}__again"] = value


def restore_choice(key: str, options) -> None:
    """Just before drawing the select box ``key``: apply the choice kept by :func:`keep_choice`, if still offered."""
    again = st.session_state.pop(f"{key}__again", None)
    if again is not None and again in options:
        st.session_state[key] = again


def clear_edit_form(edit_prefix: str, loaded_key: str) -> None:
    """Forget an edit form's widgets and the (id, version) it was filled from: the next run fills it again."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(edit_prefix)]:
        del st.session_state[key]
    st.session_state.pop(loaded_key, None)


def seen(key: str, ident, token, *, prefix: str):
    """What a form was drawn from (a version, a token, a snapshot of values), kept in the session for ``ident``
    (the record shown) while the form's widgets (keys starting with ``prefix``) live; returns the kept one. A
    save gives it back, so a colleague's save in between is refused, never overwritten — not what the database
    holds at the click. Another ``ident``, or a form drawn anew (its widgets dropped: another page was opened
    meanwhile), takes ``token`` again and fills the widgets again."""
    kept = st.session_state.get(key)
    names = [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]
    if kept is None or kept[0] != ident or not names:
        for name in names:
            del st.session_state[name]
        st.session_state.pop(f"{key}_conflict", None)
        kept = st.session_state[key] = (ident, token)
    return kept[1]


def last_shown(key: str, ident, token):
    """For one-click actions on what the page shows (no form to fill): the token (a version) the previous run
    drew for ``ident`` — what the user saw when clicking — then this run's is kept for the next click. A
    colleague's change that reached the screen only in the click's own run is refused, never overwritten."""
    before = st.session_state.get(key)
    st.session_state[key] = (ident, token)
    return before[1] if before is not None and before[0] == ident else token


def forget_seen(key: str, prefix: str | None = None) -> None:
    """Drop what :func:`seen` kept (and the form's widgets, keys starting with ``prefix``): the next run draws the
    form again from the database."""
    st.session_state.pop(key, None)
    st.session_state.pop(f"{key}_conflict", None)
    if prefix:
        for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
            del st.session_state[name]


def save_seen(
    action, *, key: str, flash_key: str, message, errors_key: str | None = None, clear_prefix: str | None = None
) -> None:
    """One save of a form drawn from what :func:`seen` kept under ``key``. Done: ``message`` (or
    ``message(result)``) for the next run, what was kept forgotten (and the widgets whose key starts with
    ``clear_prefix``: filled again from the database), caches cleared. Someone else saved first
    (``ConcurrentEditError``): the French message stays above the form (:func:`conflict_notice`) and what the user
    typed is kept. Refused input: the messages by field in ``errors_key`` (else listed here), input kept."""
    from clausier.db import ConcurrentEditError
    from ui import cached
    from ui.db import session_scope

    try:
        with session_scope() as session:
            result = action(session)
    except ConcurrentEditError as exc:
        st.session_state[f"{key}_conflict"] = str(exc)
        st.rerun()
    except ValidationError as exc:
        if errors_key:
            st.session_state[errors_key] = exc.errors
            st.rerun()
        error("Rien n'a été enregistré :")
        for reason in exc.errors.values():
            error(reason)
        return
    except DomainError as exc:
        error(str(exc))
        return
    if errors_key:
        st.session_state.pop(errors_key, None)
    forget_seen(key, clear_prefix)
    # An action may return a warning (a French sentence) to show after its success.
    warning = [("warning", result)] if isinstance(result, str) else []
    st.session_state[flash_key] = [message(result) if callable(message) else message, *warning]
    cached.clear()
    st.rerun()


def conflict_notice(key: str, prefix: str | None = None) -> None:
    """Above a form saved with :func:`save_seen`: after a save refused because someone else saved first, the
    French message, what the user typed still in the form, and a button that drops it and draws the form again
    from the database (the colleague's version)."""
    message = st.session_state.get(f"{key}_conflict")
    if message is None:
        return
    error(message)
    if st.button("Recharger la version enregistrée (abandonner ma saisie)", key=f"{key}_reload"):
        forget_seen(key, prefix)
        st.rerun()


def save_edit(action, message: str, *, key: str, edit_prefix: str, loaded_key: str) -> None:
    """One write on a record shown in an edit form (errors in ``{key}_edit_errors``, messages in ``{key}_flash``).
    Done, or refused because someone else saved the record meanwhile: the form is filled again from the database
    (with a warning in the second case). Refused for a field: the messages go next to the fields, input kept."""
    from clausier.db import ConcurrentEditError
    from ui import cached
    from ui.db import session_scope

    errors_key, flash_key = f"{key}_edit_errors", f"{key}_flash"
    try:
        with session_scope() as session:
            action(session)
    except ValidationError as exc:
        st.session_state[errors_key] = exc.errors
        st.rerun()
    except ConcurrentEditError as exc:
        clear_edit_form(edit_prefix, loaded_key)
        st.session_state.pop(errors_key, None)
        st.session_state[flash_key] = [("warning", str(exc))]
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    clear_edit_form(edit_prefix, loaded_key)
    st.session_state.pop(errors_key, None)
    st.session_state[flash_key] = [message]
    cached.clear()
    st.rerun()


def create_and_edit_tabs(
    user,
    *,
    key: str,
    tabs: tuple[str, str],
    form,
    record,
    edit_prefix: str,
    create,
    update,
    archive,
    create_button: str,
    created,
    saved,
    archived,
    choose_first: str,
) -> None:
    """The « new » and « edit or archive » tabs of a directory screen (buyers, companies): ``form(prefix, errors,
    current)`` draws the fields and returns the input; ``create(session, data)``, ``update(session, data,
    version)`` and ``archive(session, version)`` write; ``created(data)``, ``saved(data)`` and ``archived()`` give
    the French messages. ``record``: the entry chosen above (None: the edit tab says ``choose_first``); its
    version is the one the edit form was first drawn with (a colleague's save in between is refused with a
    message, what was typed kept), whose widgets' keys start with ``edit_prefix``."""
    new_tab, edit_tab = st.tabs(list(tabs))
    with new_tab:
        errors = st.session_state.get(f"{key}_create_errors", {})
        with st.form(f"{key}_create"):
            data = form(form_prefix(f"{key}_c"), errors, None)
            submitted = st.form_submit_button(create_button, type="primary")
        if submitted:
            run_action(
                lambda s: create(s, data),
                errors_key=f"{key}_create_errors",
                flash_key=f"{key}_flash",
                message=created(data),
                clear_prefix=f"{key}_c",
            )
    with edit_tab:
        if record is None:
            st.info(choose_first)
            return
        version = seen(f"{key}_seen", record.id, record.version, prefix=edit_prefix)
        conflict_notice(f"{key}_seen", edit_prefix)
        errors = st.session_state.get(f"{key}_edit_errors", {})
        with st.form(f"{key}_edit_{record.id}"):
            data = form(edit_prefix, errors, record)
            submitted = st.form_submit_button("Enregistrer", type="primary")
        if submitted:
            save_seen(
                lambda s: update(s, data, version),
                key=f"{key}_seen",
                errors_key=f"{key}_edit_errors",
                flash_key=f"{key}_flash",
                message=saved(data),
                clear_prefix=edit_prefix,
            )
        if st.button("Désarchiver" if record.archived else "Archiver", key=f"{key}_archive"):
            save_seen(
                lambda s: archive(s, version),
                key=f"{key}_seen",
                errors_key=f"{key}_edit_errors",
                flash_key=f"{key}_flash",
                message=archived(),
                clear_prefix=edit_prefix,
            )


def form_prefix(base: str) -> str:
    """Keys of a create form's widgets: a new generation after each success empties the form (see run_action)."""
    return f"{base}{st.session_state.get(f'gen:{base}', 0)}_"


def flash(flash_key: str) -> None:
    """The messages left by the last action: successes, and warnings as ("warning", text). Always one container,
    with or without messages, so that the widgets below keep their place from one run to the next."""
    box = st.container()
    for message in st.session_state.pop(flash_key, []):
        if isinstance(message, tuple):
            box.warning(md_escape(message[1]))
        else:
            box.success(md_escape(message))


def save_table(action, *, editor_key: str, flash_key: str) -> None:
    """Save an edited table in one transaction: ``action(session)`` returns the success message. Refused: every
    French reason listed, nothing written, the edits kept. Done: the message for the next run, edits reset."""
    from ui import cached
    from ui.db import session_scope

    try:
        with session_scope() as session:
            message = action(session)
    except ValidationError as exc:
        error("Rien n'a été enregistré :")
        for reason in exc.errors.values():
            error(reason)
        return
    except DomainError as exc:
        error(str(exc))
        return
    st.session_state[flash_key] = [message]
    st.session_state.pop(editor_key, None)
    cached.clear()
    st.rerun()
