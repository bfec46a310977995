"""The outcome of a serial's new fold: its next state, and what it sends that was not sent (or refused) before."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from lifecycle.rules.calendar import day_number
from lifecycle.rules.entitlement import shown
from lifecycle.rules.fold import Fold
from lifecycle.rules.folding import Step
from lifecycle.rules.holds import expired_holds, holds_of, why_expired
from lifecycle.rules.model import Catalog, Event, Notice, Outcome, Policy, SerialState, Snapshot, known_ids
from lifecycle.rules.sent import add_sent, keep_sent, sent_dict
from lifecycle.rules.upgrade import grant_key, grants_sent, keyed_grant, takes_back, upgrade_of
from lifecycle.rules.values import evolve
from lifecycle.rules.window import Kept, settle


def publish(
    state: SerialState,
    step: Step,
    window: tuple[Event, ...],
    catalog: Catalog,
    policy: Policy,
    received_at: datetime | None = None,  # None: time passed (no event arrived)
) -> Outcome:
    """The outcome of a new fold: a snapshot when it changed, and whatever was not sent or refused before.

    An accepted event that the fold refuses (a held event that breaks a rule once its purchase is known, or one
    that an earlier event, come late, makes break a rule) stays in the window, so every arrival order folds
    the same; it is refused once. A hold that ran out leaves the state: sent again, the event is new. Such a run
    out is a refusal of its own, even for an event refused before and held again (a purchase dated before it
    came late): each refusal is sent once.
    """
    fold = step.fold
    holds = holds_of(state, fold, received_at) if fold.held else ()
    # Holds run out as time passes (a tick), never on an event's arrival: one sent back waits its period again.
    expired = expired_holds(holds, fold.clock, policy) if holds and received_at is None else None
    sent = state.emitted
    refused = [(e, why) for e, why in step.refused if f"refused:{e['event_id']}" not in sent] if step.refused else []
    new_ids = [f"refused:{e['event_id']}" for e, _ in refused] if refused else []
    base, folded_ids = state.base, state.folded_ids
    if expired and fold.clock is not None:
        # R14a: what waited too long is refused and leaves the state. A held event changed nothing but the
        # held list, so dropping it there is what folding again without it gives.
        reason = why_expired(fold, policy)
        refused += [(event, reason) for event in fold.held if event["event_id"] in expired]
        window = tuple(e for e in window if e["event_id"] not in expired)
        fold = _without(fold, expired)
        base = _without(base, expired) if base is not None else None
        folded_ids = tuple(i for i in folded_ids if i not in expired)
        holds = tuple(hold for hold in holds if hold.event_id not in expired)
    fresh_notices = _unsent(step.notices, "notice_id", sent)
    revision, published = _published(state, fold)
    revised = revision != state.revision
    fresh_derived: tuple[dict[str, Any], ...] = ()
    if step.derived:
        # Grants carry a revision no other publish of the source gives (R9: at one revision a new serial takes a
        # grant over one taken back, as one refold made both): a publish that sends one makes a new revision.
        bump = not revised and fold.entitlement is not None
        fresh_derived, replaced = _fresh_grants(step.derived, sent, revision + 1 if bump else revision)
        if fresh_derived and bump:
            revision, published, revised = revision + 1, None, True
        if replaced:
            sent = keep_sent({key: day for key, day in sent_dict(sent).items() if key not in replaced})
    fresh_decisions = _unsent(step.decisions, "decision_id", sent)
    if fresh_notices:
        new_ids += map(_notice_id, fresh_notices)
    if fresh_derived:
        new_ids += map(grant_key, fresh_derived)
    if fresh_decisions:
        new_ids += map(_decision_id, fresh_decisions)
    if new_ids:
        sent = _with_sent(sent, new_ids, fold)
    kept = Kept(base, state.through, folded_ids, window, sent)
    if window is not state.window or expired:
        # Time passing alone leaves the window as the last settle left it: nothing more to fold in for good.
        held = frozenset(hold.event_id for hold in holds) if holds else frozenset()
        kept = settle(state.serial, kept, catalog, policy, held)
    # Every field is new or named: made afresh, at a third of the cost of a copy with eleven changes.
    new_state = SerialState(
        serial=state.serial,
        window=kept.window,
        clock=fold.clock,
        revision=revision,
        published=published,
        emitted=kept.emitted,
        holds=holds,
        fold=fold,
        base=kept.base,
        through=kept.through,
        folded_ids=kept.folded_ids,
        ids=_ids(state, kept.window, kept.folded_ids),
    )
    changed = holds != state.holds
    return Outcome(new_state, revised, fresh_notices, fresh_derived, None, tuple(refused), changed, fresh_decisions)


def time_passed(
    state: SerialState, before: Fold, fold: Fold, notices: list[Notice], catalog: Catalog, policy: Policy
) -> Outcome:
    """The outcome of time passing from `before` (the state's fold) to `fold`, as `publish` gives it.

    Most due moments are reminders: only the clock moved and a notice may go out. The events, revision and holds
    then stay as they were, which is what `publish` would find; this says so without its work.
    """
    unchanged = fold.entitlement is before.entitlement and before is state.fold
    if unchanged and fold.entitlement is not None and not fold.held and not state.holds:
        fresh = _unsent(notices, "notice_id", state.emitted)
        emitted = _with_sent(state.emitted, list(map(_notice_id, fresh)), fold) if fresh else state.emitted
        return Outcome(evolve(state, clock=fold.clock, fold=fold, emitted=emitted), notices=fresh)
    return publish(state, Step(fold, notices), state.window, catalog, policy)


def _fresh_grants(
    grants: list[dict[str, Any]], sent: Mapping[str, int], revision: int
) -> tuple[tuple[dict[str, Any], ...], set[str]]:
    """The grants unlike the last one sent of their upgrade, and the ids of the grants they replace.

    Only an upgrade's latest grant is remembered, so a source that comes back to an earlier grant (late events
    moved its expiry and moved it back) sends it again. On the topic a grant's id ends with the revision it was
    made from (R9: the newest stands), so the new serial takes each one as a new event (R13).
    """
    fresh, replaced = [], set()
    # A refold can make an upgrade's grant more than once (taken back while it waits, granted once it goes on):
    # the last one is where the fold ends.
    latest = {upgrade_of(grant): grant for grant in grants}
    stands = _standing(grants, latest.values(), sent)
    for grant in latest.values():
        before = grants_sent(grant, sent)
        standing = stands.get(grant["serial"])
        if takes_back(grant):
            if not _takes_back_sent(grant, before):
                continue  # nothing to take back: never granted, or taken back already (on other terms: moot)
            if standing:
                replaced.update(before)  # the new serial took the grant the refold ends with over this one
                continue
        elif before[-1:] == [grant_key(grant)] and standing is not False:
            continue  # the upgrade's latest grant was this one, terms and all
        replaced.update(before)
        fresh.append({**grant, "event_id": f"{grant['event_id']}:{revision}", "source_revision": revision})
    return tuple(fresh), replaced


def _takes_back_sent(grant: dict[str, Any], before: list[str]) -> bool:
    """Whether a take-back has a grant to take back: one of its upgrade was sent, and not taken back since."""
    return bool(before) and keyed_grant(before[-1]) != grant["event_id"]


def _standing(
    grants: list[dict[str, Any]], latest: Iterable[dict[str, Any]], sent: Mapping[str, int]
) -> dict[str, bool]:
    """For each new serial a refold ends granting, after taking another upgrade's grant back: whether it stands.

    The new serial takes the grant sent last (R9: the newest stands). When the grant the refold ends with was sent
    after every grant it takes back there, the new serial stands on it: those take-backs are moot, and sent now
    they would come after it. Else the grant goes out again with them, at their revision, where it takes over.
    """
    ends = {grant["serial"]: grant for grant in grants}  # where the refold leaves each new serial
    stands: dict[str, bool] = {}
    order: dict[str, int] | None = None
    for grant in latest:
        end = ends[grant["serial"]]
        if end is grant or takes_back(end) or not takes_back(grant):
            continue  # the usual case: one upgrade for each new serial
        before = grants_sent(grant, sent)
        if not _takes_back_sent(grant, before):
            continue
        order = order or {key: at for at, key in enumerate(sent)}
        granted = grants_sent(end, sent)
        sent_last = granted[-1:] == [grant_key(end)] and order[before[-1]] < order[granted[-1]]
        stands[grant["serial"]] = stands.get(grant["serial"], True) and sent_last
    return stands


def _with_sent(sent: Mapping[str, int], new_ids: list[str], fold: Fold) -> Mapping[str, int]:
    """The sent ids with `new_ids`, stamped with the day of the fold's clock."""
    return add_sent(sent, new_ids, day_number(fold.clock.date()) if fold.clock is not None else 0)


def _published(state: SerialState, fold: Fold) -> tuple[int, Snapshot | None]:
    """The new fold's revision (one more when its snapshot changed) and the state's `published` value."""
    revision, published = state.revision, state.published
    entitlement = fold.entitlement
    before = state.fold.entitlement if state.fold is not None else None
    if entitlement is not None and (before is None or (entitlement is not before and entitlement != before)):
        if published is None and before is not None:
            changed = shown(entitlement) != shown(before)  # the snapshots compared without building them
        else:
            current = state.snapshot
            changed = current is None or entitlement.snapshot(state.revision) != current
        if changed:
            # The fold's entitlement's snapshot at the new revision: `published` None builds it when asked.
            return revision + 1, None
    elif entitlement is None and published is None:
        published = state.snapshot  # no fold to build it from any more (never so far): keep it as it was
    return revision, published


# Up to this many known ids a state looks them up one by one (`SerialState.applied`) rather than keeping a set.
_IDS_SCANNED = 8


def _ids(state: SerialState, window: tuple[Event, ...], folded_ids: tuple[str, ...]) -> frozenset[str] | None:
    """The known ids of the new state: the old state's when its events are the same (time passed)."""
    if len(window) + len(folded_ids) <= _IDS_SCANNED:
        return None
    if state.ids is not None and window is state.window and folded_ids is state.folded_ids:
        return state.ids
    return known_ids(window, folded_ids)


def _without(fold: Fold, event_ids: set[str]) -> Fold:
    held = tuple(e for e in fold.held if e["event_id"] not in event_ids)
    return fold if len(held) == len(fold.held) else evolve(fold, held=held)


def _unsent(items: list[dict[str, Any]], id_field: str, emitted: Any) -> tuple[dict[str, Any], ...]:
    """The items whose id was not sent before, each once, in order."""
    if not items:
        return ()
    if len(items) == 1:  # the usual case: one notice
        return () if items[0][id_field] in emitted else (items[0],)
    return tuple({item[id_field]: item for item in items if item[id_field] not in emitted}.values())


_notice_id, _decision_id = itemgetter("notice_id"), itemgetter("decision_id")
