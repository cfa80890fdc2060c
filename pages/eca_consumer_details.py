"""An External Client App's Consumer Key and Secret, in the window its Settings tab opens (reference H).

The same flow as the connected app's Consumer Details (``ConsumerDetailsPage``, reused as the base): an
identity check first (authenticator or e-mailed code, answered by a ``code_for(by_email)`` callback), then a
classic-styled page, "External Client App Name" and "Consumer Details" with Consumer Key and Consumer Secret,
each beside its Copy button. Only the markup differs: the values are found beside their labels (classic
``labelCol``/``dataCol`` rows), the ids seen on the page (``consumerKey``, ``consumerSecret``) the fallback.
"""

from __future__ import annotations

import re
from typing import ClassVar

from playwright.sync_api import Locator

from runbook.pages.consumer_details import ConsumerDetailsPage


class EcaConsumerDetailsPage(ConsumerDetailsPage):
    SCREEN: ClassVar[str] = "External Client App Consumer Details"

    def _value(self, label: str, element_id: str) -> Locator:
        """The value shown beside ``label`` (its first span, not the Copy button), or the element ``element_id``."""
        cell = self.page.locator("td.labelCol").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        beside = cell.locator("xpath=following-sibling::td[1]//span").first
        return beside.or_(self.page.locator(f'[id="{element_id}"], [id$=":{element_id}"]'))

    def consumer_key(self) -> Locator:
        return self._value(self.org.labels.consumer_key_label, "consumerKey")

    def consumer_secret(self) -> Locator:
        return self._value("Consumer Secret", "consumerSecret")
