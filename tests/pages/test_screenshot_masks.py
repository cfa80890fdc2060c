"""A step's screenshot covers every element that holds a secret, on the page and in the active classic frame."""

from __future__ import annotations

import base64

from playwright.sync_api import Page

from runbook.evidence import secret_masks
from runbook.pages.base import SECRET_SELECTORS

SECRET = "Adversarial-S3cret-value-0123456789"
# One element per secret selector; each selector also has one in the classic frame.
HOLDERS = f"""
<input type="password" value="{SECRET}" style="width:300px">
<div id="app_consumerSecret" style="width:300px">{SECRET}</div>
<input id="tc" value="{SECRET}" style="width:300px">
<input id="emc" value="{SECRET}" style="width:300px">
<input id="smc" value="{SECRET}" style="width:300px">
"""
MASK = (255, 0, 255)  # Playwright's default mask colour


def centres(page: Page) -> list[tuple[str, float, float]]:
    """Where each secret holder is drawn in the page's picture (bounding boxes are in the page's coordinates,
    a frame's elements too): its selector and frame, x, y."""
    found = []
    classic = page.frame_locator("force-aloha-page iframe")
    for selector in SECRET_SELECTORS:
        for where, locator in (("page", page.locator(selector)), ("classic frame", classic.locator(selector))):
            box = locator.bounding_box()
            assert box is not None, f"{selector} is missing from the {where}"
            found.append((f"{selector} ({where})", box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
    return found


def pixel(page: Page, png: bytes, x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y) of a PNG, read back by the browser itself (no imaging library needed)."""
    data = base64.b64encode(png).decode()
    rgb = page.evaluate(
        """async ([data, x, y]) => {
            const image = new Image();
            image.src = 'data:image/png;base64,' + data;
            await image.decode();
            const canvas = document.createElement('canvas');
            canvas.width = image.width;
            canvas.height = image.height;
            const context = canvas.getContext('2d');
            context.drawImage(image, 0, 0);
            return Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3));
        }""",
        [data, int(x), int(y)],
    )
    return (rgb[0], rgb[1], rgb[2])


def test_every_secret_holder_is_masked_on_the_page_and_in_the_classic_frame(page: Page) -> None:
    page.set_viewport_size({"width": 1000, "height": 900})
    page.set_content(
        f"""<body style="margin:0">{HOLDERS}
        <force-aloha-page><iframe tabindex="0" style="width:600px;height:400px;border:0"
            srcdoc='<body style="margin:0">{HOLDERS}</body>'></iframe></force-aloha-page></body>"""
    )
    page.frame_locator("force-aloha-page iframe").locator("#smc").wait_for()
    holders = centres(page)
    bare = page.screenshot(full_page=True)
    masked = page.screenshot(full_page=True, mask=secret_masks(page))
    reader = page.context.new_page()
    try:
        for name, x, y in holders:
            assert pixel(reader, bare, x, y) != MASK, f"{name}: the unmasked picture is already mask-coloured"
            assert pixel(reader, masked, x, y) == MASK, f"{name} is visible in the step's screenshot"
    finally:
        reader.close()
