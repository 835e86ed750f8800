"""Hostile uploads (issue 8): what is refused, how fast and in how much memory, what is kept.

Every file here is made by the test with Pillow or by hand (PNG chunks, JPEG segments): there
are no binary fixtures. Uploads go through the real Wagtail views (the single upload form, the
multiple uploader, the image chooser's upload tab) as a signed-in editor, and through the
importer; the article page's renditions are then fetched and read back with Pillow.
"""

import io
import re
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin
from wagtail.images import get_image_model
from wagtail.models import Collection

from newsdesk.images import containers, uploads
from newsdesk.importer import images as importer_images
from tests.factories import ensure_site_structure, make_article, make_image, make_live_feed, post

# same_on_every_database: what an upload becomes is decided by the image code, not the database.
pytestmark = [pytest.mark.django_db, pytest.mark.same_on_every_database]

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}
SECRET = b"Safehouse near Sumy, secret location"
"""Written into XMP and IPTC; must not survive anywhere a reader can reach."""
GENERATED_ORIGINAL = re.compile(r"^original_images/[0-9a-f]{32}\.(jpg|png|webp)$")
GENERATED_RENDITION = re.compile(r"^images/[0-9a-f]{32}\.[\w.-]+$")


# --- Files, made here ------------------------------------------------------------------------


def gps_exif(orientation=1):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Field Phone 9"  # Model
    exif[0x0112] = orientation
    exif[0x0131] = "Camera app 1.0"  # Software
    details = exif.get_ifd(0x8769)
    details[0xA431] = "SERIAL-0042"  # BodySerialNumber
    details[0x927C] = b"maker notes with a location fix"  # MakerNote
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (50.0, 54.0, 27.72)  # 50.9077 N: Sumy
    gps[3], gps[4] = "E", (34.0, 47.0, 52.2)
    gps[6] = 140.0  # altitude
    return exif


def xmp_packet():
    return (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" exif:GPSLatitude="50,54.462N" '
        b'exif:GPSLongitude="34,47.87E" photoshop:City="' + SECRET + b'"/>'
        b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


def iptc_segment():
    """An APP13 Photoshop segment holding IPTC 2:90 (City) and 2:101 (Country)."""
    records = b""
    for dataset, value in ((90, SECRET), (101, b"Ukraine")):
        records += b"\x1c\x02" + bytes([dataset]) + len(value).to_bytes(2, "big") + value
    resource = b"8BIM\x04\x04\x00\x00" + len(records).to_bytes(4, "big") + records
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + (len(body) + 2).to_bytes(2, "big") + body


def insert_after_soi(jpeg, segment):
    return jpeg[:2] + segment + jpeg[2:]


def srgb_profile():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def two_colour(size=(600, 400)):
    """Left half red, right half blue: shows which way a picture was turned."""
    picture = Image.new("RGB", size, (220, 20, 20))
    picture.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    return picture


def field_jpeg(orientation=1, size=(600, 400), icc=True):
    """A phone photo as it comes off the phone: GPS EXIF, XMP location, IPTC city, ICC."""
    buffer = io.BytesIO()
    options = {"exif": gps_exif(orientation), "xmp": xmp_packet(), "quality": 90}
    if icc:
        options["icc_profile"] = srgb_profile()
    two_colour(size).save(buffer, "JPEG", **options)
    return insert_after_soi(buffer.getvalue(), iptc_segment())


def plain(format_name, size=(64, 48), **options):
    buffer = io.BytesIO()
    mode = "RGBA" if format_name in ("PNG", "WEBP") else "RGB"
    Image.new(mode, size, (10, 120, 200, 255)).save(buffer, format_name, **options)
    return buffer.getvalue()


def png_chunk(kind, body):
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def png_header(width, height):
    size = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    return png_chunk(b"IHDR", size + b"\x08\0\0\0\0")  # 8-bit greyscale


def flood_png(width=30_000, height=30_000):
    """A 100-byte PNG declaring 30,000 x 30,000 pixels (900 MB once decoded)."""
    row = zlib.compress(b"\0" * (width + 1))
    return (
        containers.PNG_SIGNATURE
        + png_header(width, height)
        + png_chunk(b"IDAT", row)
        + (png_chunk(b"IEND", b""))
    )


def flood_jpeg(width=30_000, height=30_000):
    """A small JPEG whose frame header says 30,000 x 30,000."""
    data = bytearray(plain("JPEG", (16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def bomb_png(side=10_000):
    """A complete, valid greyscale PNG of 10,000 x 10,000 zero pixels: ~100 KB that decode to
    100 MB (and 400 MB as RGBA)."""
    squeeze = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    idat = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    return (
        containers.PNG_SIGNATURE
        + png_header(side, side)
        + png_chunk(b"IDAT", idat)
        + (png_chunk(b"IEND", b""))
    )


def with_png_chunk(png, chunk):
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def ztxt_bomb():
    """A small PNG whose compressed comment inflates to 64 MB."""
    text = zlib.compress(b"A" * (64 * 1024 * 1024), 9)
    return with_png_chunk(plain("PNG"), png_chunk(b"zTXt", b"Comment\0\0" + text))


def gifar():
    """A JPEG with a Java archive appended (the GIFAR trick, with a JPEG)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: Evil\n")
        jar.writestr("Evil.class", b"\xca\xfe\xba\xbe\0\0\0\x34")
    return plain("JPEG", (120, 80)) + archive.getvalue()


def apng():
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def animated_webp():
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def png_with_text(text, *, compressed=False):
    info = PngImagePlugin.PngInfo()
    if compressed:
        info.add_itxt("Description", text, zip=True)
    else:
        info.add_text("Comment", text)
    return plain("PNG", pnginfo=info)


SCRIPT = "<script>alert(document.cookie)</script>"
REFUSED = {
    "flood PNG 30000x30000": (flood_png, "too_many_pixels"),
    "flood JPEG 30000x30000": (flood_jpeg, "too_many_pixels"),
    "bomb PNG 10000x10000": (bomb_png, "too_many_pixels"),
    "PNG zTXt inflating to 64 MB": (ztxt_bomb, "hidden"),
    "JPEG + HTML/JS appended": (
        lambda: plain("JPEG") + f"<html><body>{SCRIPT}</body></html>".encode(),
        "hidden",
    ),
    "JPEG + ZIP/JAR appended (GIFAR)": (gifar, "hidden"),
    "JPEG + PDF appended": (lambda: plain("JPEG") + b"%PDF-1.7\n1 0 obj<<>>endobj\n", "hidden"),
    "PNG tEXt holding <script>": (lambda: png_with_text(SCRIPT), "hidden"),
    "PNG iTXt (compressed) holding <script>": (
        lambda: png_with_text(SCRIPT, compressed=True),
        "hidden",
    ),
    "JPEG comment holding <svg onload>": (
        lambda: plain("JPEG", comment=b"<svg onload=alert(1)>"),
        "hidden",
    ),
    "WebP XMP holding <script>": (
        lambda: plain("WEBP", xmp=f"<x:xmpmeta>{SCRIPT}</x:xmpmeta>".encode()),
        "hidden",
    ),
    "SVG": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "not_allowed",
    ),
    "HTML": (lambda: f"<!doctype html><title>x</title>{SCRIPT}".encode(), "not_allowed"),
    "GIF": (lambda: plain("GIF"), "not_allowed"),
    "BMP": (lambda: plain("BMP"), "not_allowed"),
    "TIFF": (lambda: plain("TIFF"), "not_allowed"),
    "animated PNG": (apng, "animated"),
    "animated WebP": (animated_webp, "animated"),
    "truncated JPEG": (lambda: field_jpeg()[:-200], "damaged"),
}


def assert_no_location(data):
    """Nothing that locates a source: no EXIF at all, no XMP, no IPTC, no text."""
    with Image.open(io.BytesIO(data)) as picture:
        assert not picture.getexif(), dict(picture.getexif())
        assert "exif" not in picture.info
        assert "xmp" not in picture.info and "XML:com.adobe.xmp" not in picture.info
        assert not getattr(picture, "text", {})
        assert "comment" not in picture.info
    assert SECRET not in data
    assert b"Photoshop 3.0" not in data and b"8BIM" not in data
    assert b"SERIAL-0042" not in data and b"PhoneMaker" not in data


# --- The cleaner on its own ------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused(case):
    make, code = REFUSED[case]
    with pytest.raises(uploads.ImageRefused) as refused:
        uploads.clean_image(make(), **LIMITS)
    assert refused.value.code == code


def test_a_phone_photo_loses_its_location_and_keeps_its_colours():
    cleaned = uploads.clean_image(field_jpeg(), **LIMITS)
    assert_no_location(cleaned.data)
    with Image.open(io.BytesIO(cleaned.data)) as picture:
        assert picture.format == "JPEG"
        assert picture.info["icc_profile"] == srgb_profile()
        assert picture.size == (600, 400)


def test_orientation_is_applied_to_the_pixels():
    # EXIF orientation 6: the camera was turned; viewers rotate the picture 90° clockwise.
    cleaned = uploads.clean_image(field_jpeg(orientation=6), **LIMITS)
    with Image.open(io.BytesIO(cleaned.data)) as picture:
        assert picture.size == (400, 600) == (cleaned.width, cleaned.height)
        assert 0x0112 not in picture.getexif()
        top, bottom = picture.getpixel((200, 100)), picture.getpixel((200, 500))
    assert top[0] > 150 > top[2]  # the left (red) half is now on top
    assert bottom[2] > 150 > bottom[0]


def test_jpeg_keeps_its_quantisation_so_quality_does_not_drop():
    original = field_jpeg()
    cleaned = uploads.clean_image(original, **LIMITS)
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(cleaned.data)) as after:
        assert after.quantization == before.quantization


@pytest.mark.parametrize("format_name", ["PNG", "WEBP"])
def test_png_and_webp_lose_metadata(format_name):
    options = {"exif": gps_exif(), "icc_profile": srgb_profile()}
    if format_name == "WEBP":
        options["xmp"] = xmp_packet()
    else:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
        options["pnginfo"] = info
    data = plain(format_name, **options)
    assert SECRET in data
    cleaned = uploads.clean_image(data, **LIMITS)
    assert cleaned.format == format_name
    assert_no_location(cleaned.data)
    with Image.open(io.BytesIO(cleaned.data)) as picture:
        assert picture.info["icc_profile"] == srgb_profile()


def test_lossless_webp_stays_lossless():
    data = plain("WEBP", lossless=True)
    cleaned = uploads.clean_image(data, **LIMITS)
    assert b"VP8L" in cleaned.data
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(cleaned.data)) as after:
        assert before.tobytes() == after.tobytes()


def test_phone_trailers_are_not_polyglots():
    """An HDR gain map or depth map appended as a second JPEG (MPF) is fine, and dropped."""
    buffer = io.BytesIO()
    frames = [two_colour(), Image.new("L", (150, 100), 128)]
    frames[0].save(buffer, "MPO", save_all=True, append_images=frames[1:])
    cleaned = uploads.clean_image(buffer.getvalue(), **LIMITS)
    assert cleaned.format == "JPEG" and (cleaned.width, cleaned.height) == (600, 400)
    assert cleaned.data.count(b"\xff\xd8") == 1  # the second picture is gone
    assert b"MPF\0" not in cleaned.data


def test_the_limits_are_the_settings():
    data = plain("PNG", (200, 100))
    with pytest.raises(uploads.ImageRefused) as refused:
        uploads.clean_image(data, max_bytes=100, max_pixels=None)
    assert refused.value.code == "too_large"
    with pytest.raises(uploads.ImageRefused) as refused:
        uploads.clean_image(data, max_bytes=None, max_pixels=19_999)
    assert refused.value.text == ("The image is 200 × 100 pixels; the limit is 0 million pixels.")
    assert uploads.clean_image(data, max_bytes=None, max_pixels=20_000).width == 200


def test_renditions_strip_even_what_an_old_original_carries():
    data = field_jpeg()
    assert containers.strip_metadata(data, "JPEG") != data
    stripped = containers.strip_metadata(data, "JPEG")
    assert_no_location(stripped)
    with Image.open(io.BytesIO(stripped)) as picture:
        assert picture.info["icc_profile"] == srgb_profile()
        picture.load()


# --- Time and memory per refusal -------------------------------------------------------------


def _status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _measure(data):
    """(seconds, peak RSS growth in bytes or None, peak Python allocations in bytes)."""
    clear_refs = Path("/proc/self/clear_refs")
    rss_before = _status("VmRSS")
    try:
        clear_refs.write_text("5")  # resets the peak RSS (VmHWM) to the current RSS
        resettable = True
    except OSError:
        resettable = False
    started = time.perf_counter()
    with pytest.raises(uploads.ImageRefused):
        uploads.clean_image(data, **LIMITS)
    seconds = time.perf_counter() - started
    rss_growth = _status("VmHWM") - rss_before if resettable else None
    tracemalloc.start()
    with pytest.raises(uploads.ImageRefused):
        uploads.clean_image(data, **LIMITS)
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, rss_growth, python_peak


def test_refusals_are_quick_and_small(capsys):
    """Figures for docs/operations.md (run with -s to see them). Memory is asserted with a
    generous bound; time is only reported (shared CI machines)."""
    rows = []
    for case in sorted(REFUSED):
        make, _code = REFUSED[case]
        data = make()
        seconds, rss_growth, python_peak = _measure(data)
        rows.append((case, len(data), seconds, rss_growth, python_peak))
        # Decoding any of these would take 100 MB to 2.7 GB; refusing must not.
        assert python_peak < 64 * 1024 * 1024 + 2 * len(data), case
        if rss_growth is not None:
            assert rss_growth < 96 * 1024 * 1024, case
    with capsys.disabled():
        print("\nrefusal | file bytes | ms | peak RSS growth MiB | peak Python MiB")
        for case, size, seconds, rss_growth, python_peak in rows:
            rss = "n/a" if rss_growth is None else f"{rss_growth / 2**20:.1f}"
            print(f"{case} | {size:,} | {seconds * 1000:.2f} | {rss} | {python_peak / 2**20:.2f}")


# --- Through the admin, as an editor ---------------------------------------------------------


@pytest.fixture
def editor(client_for):
    ensure_site_structure()
    client, _user = client_for("Editors")
    return client


def upload_file(data, name, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def add_view(editor, data, name="IMG_2044 source at Sumy safehouse.jpg", **kwargs):
    return editor.post(
        reverse("wagtailimages:add"),
        {
            "title": "Rescuers at the substation",
            "file": upload_file(data, name, **kwargs),
            "collection": Collection.get_first_root_node().pk,
            "credit": "Photo: Jane Roe",
        },
    )


def test_editor_upload_is_stored_clean_under_a_generated_name(editor):
    response = add_view(editor, field_jpeg(orientation=6))
    assert response.status_code == 302, response.content.decode()[:2000]
    image = get_image_model().objects.get()
    assert GENERATED_ORIGINAL.match(image.file.name), image.file.name
    assert "Sumy" not in image.file.name and "IMG" not in image.file.name
    with image.open_file() as opened:
        stored = opened.read()
    assert_no_location(stored)
    assert (image.width, image.height) == (400, 600)
    assert image.file_size == len(stored)
    assert image.file_hash == uploads.CleanedImage(stored, "JPEG", 0, 0).sha1


def test_a_png_named_jpg_is_a_png(editor):
    response = add_view(editor, plain("PNG"), name="photo.jpg")
    assert response.status_code == 302
    assert get_image_model().objects.get().file.name.endswith(".png")


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("SVG", "This file is not a JPEG, PNG or WebP image."),
        ("GIF", "This file is not a JPEG, PNG or WebP image."),
        ("flood PNG 30000x30000", "The image is 30,000 × 30,000 pixels; the limit is 40"),
        ("JPEG + HTML/JS appended", "This file carries something besides the picture"),
        ("animated PNG", "This image is animated"),
    ],
)
def test_editor_sees_plain_words(editor, case, words):
    make, _code = REFUSED[case]
    response = add_view(editor, make(), name="upload.jpg", content_type="image/jpeg")
    assert response.status_code == 200  # the form again, with the error
    assert words in response.content.decode()
    assert not get_image_model().objects.exists()


def test_the_form_says_what_is_accepted(editor):
    page = editor.get(reverse("wagtailimages:add")).content.decode()
    assert "JPEG, PNG or WebP, up to 20.0\xa0MB and 40 million pixels." in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page


def test_too_large_is_refused_before_reading(editor, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 50_000
    response = add_view(editor, b"\xff\xd8\xff" + b"\0" * 60_000)
    assert "the limit is 48.8\xa0KB" in response.content.decode()


def test_multiple_uploader(editor):
    url = reverse("wagtailimages:add_multiple")
    refused = editor.post(url, {"files[]": upload_file(gifar(), "holiday.jpg")}).json()
    assert refused["success"] is False
    assert "something besides the picture" in refused["error_message"]
    accepted = editor.post(url, {"files[]": upload_file(field_jpeg(), "IMG_1.jpg")}).json()
    assert accepted["success"] is True, accepted
    image = get_image_model().objects.get(pk=accepted["image_id"])
    assert GENERATED_ORIGINAL.match(image.file.name)
    with image.open_file() as opened:
        assert_no_location(opened.read())
    assert 'type="file"' not in accepted["form"]  # the edit form that follows has no file
    edited = editor.post(
        reverse("wagtailimages:edit_multiple", args=[image.pk]),
        {
            f"image-{image.pk}-title": "Substation at dawn",
            f"image-{image.pk}-credit": "Photo: Jane Roe",
            f"image-{image.pk}-collection": Collection.get_first_root_node().pk,
        },
    ).json()
    assert edited["success"] is True, edited
    image.refresh_from_db()
    assert image.title == "Substation at dawn"


def test_multiple_uploader_keeps_no_raw_file_when_the_form_needs_more(editor, settings):
    """A title too long for the form sends Wagtail down its "upload first" path, which writes
    the raw file to media/wagtail_uploads/: that folder is never served."""
    url = reverse("wagtailimages:add_multiple")
    data = editor.post(
        url, {"files[]": upload_file(field_jpeg(), "x" * 300 + ".jpg"), "title": "t" * 300}
    ).json()
    assert data["success"] is True
    raw = list((Path(settings.MEDIA_ROOT) / "wagtail_uploads").glob("*"))
    for path in raw:
        name = path.relative_to(settings.MEDIA_ROOT).as_posix()
        assert editor.get(f"/media/{name}").status_code == 404
    upload_id = data["uploaded_file_id"]
    create = reverse("wagtailimages:create_multiple_from_uploaded_image", args=[upload_id])
    response = editor.post(
        create,
        {
            f"uploaded-image-{upload_id}-title": "Substation",
            f"uploaded-image-{upload_id}-collection": Collection.get_first_root_node().pk,
        },
    ).json()
    assert response["success"] is True, response
    image = get_image_model().objects.get()
    assert GENERATED_ORIGINAL.match(image.file.name)
    with image.open_file() as opened:
        assert_no_location(opened.read())
    stored = [p.name for p in (Path(settings.MEDIA_ROOT) / "original_images").iterdir()]
    assert stored == [Path(image.file.name).name]  # the raw copy did not stay behind


def test_chooser_upload(editor):
    response = editor.post(
        reverse("wagtailimages_chooser:create"),
        {
            "image-chooser-upload-title": "From the chooser",
            "image-chooser-upload-file": upload_file(field_jpeg(), "source.jpg"),
            "image-chooser-upload-collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 200
    image = get_image_model().objects.get()
    with image.open_file() as opened:
        assert_no_location(opened.read())
    bad = editor.post(
        reverse("wagtailimages_chooser:create"),
        {
            "image-chooser-upload-title": "Flood",
            "image-chooser-upload-file": upload_file(flood_jpeg(), "flood.jpg"),
            "image-chooser-upload-collection": Collection.get_first_root_node().pk,
        },
    )
    assert "30,000 × 30,000 pixels; the limit is 40 million pixels." in bad.json()["htmlFragment"]


# --- What readers can reach ------------------------------------------------------------------


def media_urls(html):
    soup = BeautifulSoup(html, "html.parser")
    found = set()
    for tag in soup.find_all(["img", "source"]):
        for attribute in ("src", "srcset"):
            for part in (tag.get(attribute) or "").split(","):
                if part.strip():
                    found.add(part.split()[0])
    for meta in soup.find_all("meta", content=True):
        if "/media/" in meta["content"]:
            found.add(meta["content"])
    return {"/media/" + url.split("/media/", 1)[1] for url in found if "/media/" in url}


def test_every_rendition_on_the_article_page_is_clean(editor, client):
    add_view(editor, field_jpeg(orientation=6))
    image = get_image_model().objects.get()
    article = make_article("Strike on the substation", hero=False, publish=False)
    article.hero_image = image
    article.hero_alt = "A damaged substation"
    article.hero_caption = "The substation on Monday."
    article.save_revision().publish()
    page = client.get(article.url)
    assert page.status_code == 200
    urls = media_urls(page.content.decode())
    assert len(urls) >= 2, urls  # the hero picture and the sharing picture at least
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Content-Type-Options"] == "nosniff"
        body = b"".join(response.streaming_content)
        kind = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
        assert response["Content-Type"] == kind[containers.sniff(body)], url
        assert_no_location(body)
        assert GENERATED_RENDITION.match(url.removeprefix("/media/")), url


def test_renditions_of_an_original_stored_before_cleaning_are_clean(client):
    """An image uploaded before this change: its original still has GPS and the uploader's
    name. Its renditions are stripped as they are made; `clean_images` fixes the original."""
    image = make_image("Old upload")
    legacy = f"original_images/IMG_{image.pk} at the safehouse.jpg"
    image.file.storage.save(legacy, ContentFile(field_jpeg()))
    get_image_model().objects.filter(pk=image.pk).update(file=legacy)
    image = get_image_model().objects.get(pk=image.pk)
    for spec in ("fill-1200x630|format-jpeg", "width-800|format-webp", "max-165x165", "original"):
        rendition = image.get_rendition(spec)
        with rendition.file.open("rb") as opened:
            assert_no_location(opened.read())
        assert GENERATED_RENDITION.match(rendition.file.name)
        response = client.get(rendition.url)
        assert response.status_code == 200


def test_originals_are_not_served(client, editor):
    add_view(editor, field_jpeg())
    image = get_image_model().objects.get()
    url = image.file.url
    assert url.startswith("/media/original_images/")
    assert Path(image.file.path).is_file()
    for variant in (url, url.replace("original_images", "ORIGINAL_IMAGES"), url + "?x=1"):
        assert client.get(variant).status_code == 404
        assert editor.get(variant).status_code == 404  # editors see renditions in the admin too
    sneaky = "/media/images/../original_images/" + url.rsplit("/", 1)[1]
    assert client.get(sneaky).status_code == 404


def test_the_mirror_never_copies_originals():
    from newsdesk.mirror.render import source_file

    assert source_file("/media/original_images/abc.jpg") is None
    assert source_file("/media/wagtail_uploads/abc.jpg") is None
    assert source_file("/media/images/abc.jpg") is not None


def test_live_update_pictures_are_clean(editor, client):
    """Live updates carry an image chosen in the admin (the desk does not upload files)."""
    add_view(editor, field_jpeg())
    image = get_image_model().objects.get()
    feed = make_live_feed("Shelling of the city")
    post(feed, "Shelter hit", image=image, image_alt="A shelter")
    page = client.get(feed.url)
    assert page.status_code == 200
    urls = media_urls(page.content.decode())
    assert urls
    for url in urls:
        assert_no_location(b"".join(client.get(url).streaming_content))


# --- Importer and the clean-up command -------------------------------------------------------


@pytest.fixture(params=["files", "buckets"])
def media_kind(request):
    """Both kinds of media storage: local files, and buckets in a real SeaweedFS."""
    return request.getfixturevalue("s3_media") if request.param == "buckets" else None


def originals_are_private(buckets):
    """With buckets: every original is in the private bucket and none in the public one."""
    if buckets is None:
        return
    names = {image.file.name for image in get_image_model().objects.all()}
    assert names and names <= set(buckets.objects(private=True))
    assert not names & set(buckets.objects())


def test_importer_stores_clean_images_once(media_kind):
    ensure_site_structure()
    data = field_jpeg()
    image, created = importer_images.save_image(
        data, "DSC_0001 Sumy.jpg", title="Imported", alt="", credit=""
    )
    assert created and GENERATED_ORIGINAL.match(image.file.name)
    with image.open_file() as opened:
        assert_no_location(opened.read())
    again, created_again = importer_images.save_image(
        data, "DSC_0001 Sumy.jpg", title="Imported", alt="", credit=""
    )
    assert (again.pk, created_again) == (image.pk, False)
    with pytest.raises(importer_images.ImageSkipped, match="something besides the picture"):
        importer_images.save_image(gifar(), "x.jpg", title="x", alt="", credit="")
    originals_are_private(media_kind)


def test_clean_images_command(client, media_kind):
    ensure_site_structure()
    image = make_image("Old upload")
    legacy = "original_images/IMG_9 at the safehouse.jpg"
    image.file.storage.save(legacy, ContentFile(field_jpeg()))
    get_image_model().objects.filter(pk=image.pk).update(file=legacy)
    image.refresh_from_db()
    old_rendition = image.get_rendition("max-165x165")
    out = io.StringIO()
    call_command("clean_images", "--dry-run", stdout=out)
    assert "Would have: 1 cleaned" in out.getvalue()
    call_command("clean_images", stdout=out)
    image.refresh_from_db()
    assert GENERATED_ORIGINAL.match(image.file.name)
    with image.open_file() as opened:
        assert_no_location(opened.read())
    assert not image.file.storage.exists(legacy)
    assert not image.renditions.filter(pk=old_rendition.pk).exists()
    out = io.StringIO()
    call_command("clean_images", stdout=out)
    assert "0 cleaned, 2 unchanged" in out.getvalue() or "0 cleaned" in out.getvalue()
    originals_are_private(media_kind)
