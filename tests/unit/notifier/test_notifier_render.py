"""The notice templates: every kind renders a subject, a text and an HTML body with its dates and guidance."""

from __future__ import annotations

import pytest
from notifier_samples import KINDS, notice

from consumers.notifier.render import NoticeRenderer, RenderedNotice, RenderError, last_day, long_date, spoken_list

HOSTILE = "<script>alert(1)</script>"
LINKS = (
    "http://acronis.com/en-us/support/",
    "http://acronis.com/en-us/my/products",
    "http://acronis.com/en-us/support/advantage.html",
    "http://kb.acronis.com",
    "http://forum.acronis.com",
)
BUSINESS_RENEWAL = "renew Acronis Advantage through Acronis Sales or an Acronis Partner"
HOME_RENEWAL = ("renew your subscription", "Pay Per Incident", "$20.00 per incident", "chat, phone and priority email")


@pytest.fixture(scope="module")
def renderer() -> NoticeRenderer:
    return NoticeRenderer()


def _bodies(rendered: RenderedNotice) -> tuple[str, str]:
    return rendered.text, rendered.html


@pytest.mark.parametrize("line", ["business", "home"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_three_parts_with_links_and_a_one_line_subject(
    renderer: NoticeRenderer, kind: str, line: str
) -> None:
    rendered = renderer.render(notice(kind, line))

    assert rendered.subject
    assert "\r" not in rendered.subject
    assert "\n" not in rendered.subject
    for body in _bodies(rendered):
        assert "Pat Customer" in body
        assert "SN-1" in body
        for link in LINKS:
            assert link in body, f"{kind}/{line}: {link} missing"
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert "<html" not in rendered.text


# Support covers starts_on <= day < expires_on: every notice names the last day (expires_on minus one).
EXPECTED_DATES = {
    "support_started": ("March 15, 2026", "2026-03-15"),
    "expiry_reminder": ("March 14, 2027", "2027-03-14"),
    "support_expired": ("March 14, 2027", "2027-03-14"),
    "renewal_confirmed": ("March 14, 2028", "2028-03-14"),
    "upgrade_granted": ("March 14, 2027", "2027-03-14"),
    "upgrade_denied": ("March 14, 2027", "2027-03-14"),
    "ppi_added": ("March 15, 2026", "2026-03-15"),
}


@pytest.mark.parametrize(("kind", "dates"), EXPECTED_DATES.items())
def test_dates_appear_in_every_part(renderer: NoticeRenderer, kind: str, dates: tuple[str, str]) -> None:
    rendered = renderer.render(notice(kind))

    long_form, iso = dates
    for body in _bodies(rendered):
        assert long_form in body
        assert iso in body
    if kind != "ppi_added":
        assert long_form in rendered.subject or kind in {"upgrade_granted", "upgrade_denied"}


@pytest.mark.parametrize("kind", KINDS)
def test_no_part_names_the_first_day_without_support(renderer: NoticeRenderer, kind: str) -> None:
    rendered = renderer.render(notice(kind, new_expires_on="2027-03-15"))

    for part in (rendered.subject, *_bodies(rendered)):
        assert "March 15, 2027" not in part
        assert "2027-03-15" not in part
        assert "day before" not in part
        assert "runs until" not in part


def test_reminder_reads_as_a_person_would_say_it(renderer: NoticeRenderer) -> None:
    rendered = renderer.render(notice("expiry_reminder", lead_days=30, expires_on="2025-04-23"))

    assert rendered.subject == (
        "30 days left: your support for Acronis Backup Advanced for Windows Server 11.5"
        " ends on April 22, 2025 (last day)"
    )
    assert "has 30 days left: it ends on April 22, 2025 (2025-04-22), the last day of support." in rendered.text
    assert "it ends on <strong>April 22, 2025</strong> (2025-04-22), the last day of support." in rendered.html
    assert "Last day of support: April 22, 2025 (2025-04-22)" in rendered.text


def test_expiry_renewal_and_upgrade_name_the_last_day(renderer: NoticeRenderer) -> None:
    expired = renderer.render(notice("support_expired", expires_on="2027-01-01"))
    renewed = renderer.render(notice("renewal_confirmed", new_expires_on="2028-03-01"))
    granted = renderer.render(notice("upgrade_granted"))

    assert expired.subject.endswith("has ended (last day: December 31, 2026)")
    assert "has ended: the last day of support was December 31, 2026 (2026-12-31)." in expired.text
    assert renewed.subject.endswith("renewed through February 29, 2028 (last day)")
    assert "now runs through February 29, 2028 (2028-02-29), the last day of support." in renewed.text
    assert "runs through March 14, 2027 (2027-03-14), the last day of support." in granted.text


def test_a_denied_upgrade_names_the_last_day_only_when_support_has_ended(renderer: NoticeRenderer) -> None:
    ended = renderer.render(notice("upgrade_denied"))
    active = renderer.render(notice("upgrade_denied", "home", status="active"))

    assert "your last day of support was March 14, 2027 (2027-03-14)" in ended.text
    for body in _bodies(active):
        assert "last day of support was" not in body


@pytest.mark.parametrize("kind", ["expiry_reminder", "support_expired", "upgrade_denied"])
def test_business_notices_point_to_sales_or_a_partner(renderer: NoticeRenderer, kind: str) -> None:
    rendered = renderer.render(notice(kind, "business"))

    for body in _bodies(rendered):
        assert BUSINESS_RENEWAL in body
        assert "$20.00" not in body


@pytest.mark.parametrize("kind", ["expiry_reminder", "support_expired"])
def test_home_notices_offer_renewal_or_pay_per_incident(renderer: NoticeRenderer, kind: str) -> None:
    rendered = renderer.render(notice(kind, "home"))

    for body in _bodies(rendered):
        for phrase in HOME_RENEWAL:
            assert phrase in body
        assert "Acronis Sales" not in body


def test_reminder_states_the_lead_days_and_the_channels(renderer: NoticeRenderer) -> None:
    rendered = renderer.render(notice("expiry_reminder", lead_days=7))

    assert rendered.subject.startswith("7 days left: ")
    assert "has 7 days left" in rendered.text
    assert "chat, email and phone, 24 x 7" in rendered.text
    assert "chat, email and phone, 24 x 7" in rendered.html
    assert renderer.render(notice("expiry_reminder", lead_days=1)).subject.startswith("1 day left: ")


def test_reminder_lead_days_may_come_from_the_envelope(renderer: NoticeRenderer) -> None:
    document = notice("expiry_reminder")
    del document["data"]["lead_days"]
    document["lead_days"] = 30

    assert renderer.render(document).subject.startswith("30 days left: ")


def test_renewal_confirmation_names_the_new_expiry_and_the_order(renderer: NoticeRenderer) -> None:
    rendered = renderer.render(notice("renewal_confirmed"))

    assert "renewed through March 14, 2028 (last day)" in rendered.subject
    assert "RO-7781" in rendered.text
    assert "RO-7781" in rendered.html


def test_upgrade_grant_names_the_new_serial_and_product(renderer: NoticeRenderer) -> None:
    rendered = renderer.render(notice("upgrade_granted"))

    assert "Acronis Backup 12" in rendered.subject
    assert "SN-NEW-2" in rendered.text
    assert "SN-NEW-2" in rendered.html


def test_version_end_of_support_names_the_release_and_the_self_service_options(renderer: NoticeRenderer) -> None:
    rendered = renderer.render(notice("version_end_of_support", "home", program="home_perpetual", expires_on=None))

    assert "With the release of version 2018" in rendered.text
    assert "current version of each product plus one earlier version" in rendered.text
    assert "$20.00 per incident" in rendered.html


def test_version_end_of_support_accepts_current_version_as_the_release(renderer: NoticeRenderer) -> None:
    document = notice("version_end_of_support", "home")
    del document["data"]["released_version"]
    document["data"]["current_version"] = "2019"

    assert "version 2019" in renderer.render(document).text


def test_ppi_used_names_the_case_and_the_credits_left(renderer: NoticeRenderer) -> None:
    """FAQ: PPI support "is valid for one support case"."""
    rendered = renderer.render(notice("ppi_used", "home", ppi_credits=1))
    assert "00123456" in rendered.subject
    for body in _bodies(rendered):
        assert "case 00123456" in body or "case <strong>00123456</strong>" in body
        assert "1 incident credit left" in body or "<strong>1</strong> incident credit left" in body


def test_ppi_added_states_price_and_credits(renderer: NoticeRenderer) -> None:
    rendered = renderer.render(notice("ppi_added", "home", credits_added=1, ppi_credits=3))

    assert "1 Pay Per Incident credit was added" in rendered.text
    assert "You now have 3 incident credits" in rendered.text
    assert "$20.00 per incident" in rendered.html


def test_perpetual_support_without_expiry_renders_the_support_lifecycle(renderer: NoticeRenderer) -> None:
    document = notice("support_started", "home", program="home_perpetual", expires_on=None, channels=["chat", "email"])

    rendered = renderer.render(document)

    assert "no fixed date" in rendered.text
    assert "chat and email" in rendered.text
    assert "warranty support for recovery issues" in rendered.text
    assert "None" not in rendered.text


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_names_are_escaped_in_html(renderer: NoticeRenderer, kind: str) -> None:
    document = notice(kind, recipient={"email": "pat@example.com", "name": HOSTILE})
    document["data"]["product"]["name"] = HOSTILE

    rendered = renderer.render(document)

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert HOSTILE in rendered.text


def test_line_breaks_in_fields_never_reach_the_subject(renderer: NoticeRenderer) -> None:
    document = notice("support_started")
    document["data"]["product"]["name"] = "Backup\r\nBcc: victim@example.com\n"

    subject = renderer.render(document).subject

    assert "\r" not in subject
    assert "\n" not in subject
    assert "Backup Bcc: victim@example.com" in subject


def test_optional_fields_may_be_missing(renderer: NoticeRenderer) -> None:
    document = notice("support_started")
    for name in ("program", "expires_on", "channels", "hours", "priority", "ppi_credits"):
        del document["data"][name]
    del document["data"]["recipient"]["name"]

    rendered = renderer.render(document)

    assert rendered.text.startswith("Hello,")
    assert "None" not in rendered.text


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("support_started", "starts_on"),
        ("expiry_reminder", "lead_days"),
        ("support_expired", "expires_on"),
        ("renewal_confirmed", "new_expires_on"),
        ("upgrade_granted", "new_serial"),
        ("upgrade_denied", "reason"),
        ("ppi_added", "credits_added"),
        ("ppi_used", "case_number"),
        ("support_started", "product"),
    ],
)
def test_a_missing_required_field_is_a_render_error(renderer: NoticeRenderer, kind: str, field: str) -> None:
    document = notice(kind)
    del document["data"][field]

    with pytest.raises(RenderError):
        renderer.render(document)


def test_a_null_required_date_is_a_render_error(renderer: NoticeRenderer) -> None:
    with pytest.raises(RenderError, match="expected a date"):
        renderer.render(notice("support_expired", expires_on=None))


def test_a_product_without_a_name_is_a_render_error(renderer: NoticeRenderer) -> None:
    document = notice("support_started")
    del document["data"]["product"]["name"]

    with pytest.raises(RenderError):
        renderer.render(document)


def test_filters() -> None:
    assert long_date("2024-02-29") == "February 29, 2024"
    assert last_day("2025-04-23") == "2025-04-22"
    assert last_day("2027-01-01") == "2026-12-31"
    assert last_day("2024-03-01") == "2024-02-29"
    assert spoken_list(["chat"]) == "chat"
    assert spoken_list(["chat", "email", "phone"]) == "chat, email and phone"
    with pytest.raises(RenderError):
        long_date("2024-02-30")
    with pytest.raises(RenderError, match="expected a date"):
        last_day(None)
