"""Personal data is masked in the gaps report."""

from __future__ import annotations

from insights.privacy import mask_pii


def test_mask_pii_hides_emails_phones_cards_accounts_and_postcodes() -> None:
    text = ("mail ana.silva@example.com, call +44 7700 900123 or 07700900456, card 4111 1111 1111 1111, "
            "account TW20418833, I live at SW1A 1AA. My router is a Hub 6.")
    assert mask_pii(text) == ("mail [email], call [phone] or [phone], card [card number], account [account], "
                              "I live at [postcode]. My router is a Hub 6.")
