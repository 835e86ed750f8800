"""The Ukrainian translation: reader pages in Ukrainian when the newsroom's language is uk.

Newsdesk has no LocaleMiddleware on purpose: the newsroom's language is settings.LANGUAGE_CODE
(NEWSDESK_LANGUAGE), whatever language the reader's browser asks for. With nothing activated,
Django translates into settings.LANGUAGE_CODE, and pytest-django's `settings` fixture resets
Django's cached default translation when it changes that setting, so changing it is enough.
"""

import ast
import re
import shutil
from datetime import UTC, datetime, timedelta
from gettext import GNUTranslations
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

import newsdesk
from newsdesk.articles.models import Author, Topic
from tests.factories import make_article, make_live_feed, make_user, paragraphs, post

PUBLISHED = datetime(2024, 1, 27, 13, 34, tzinfo=UTC)  # 15:34 in Kyiv
CATALOG = Path(newsdesk.__file__).parent / "locale" / "uk" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def words(count):
    return " ".join(["word"] * count)


def author(name, slug, **fields):
    # The factories' slugs are ASCII, and a Cyrillic name has none.
    return Author.objects.create(name=name, slug=slug, **fields)


def topic(name, slug):
    return Topic.objects.create(name=name, slug=slug)


def render(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content[:500]
    return BeautifulSoup(response.content, "html.parser")


def text_of(page, selector):
    return page.select_one(selector).get_text(" ", strip=True)


def prose_of(page, selector):
    """The element's text as a reader sees it: inline markup adds no spaces."""
    return " ".join(page.select_one(selector).get_text().split())


@pytest.fixture
def ukrainian(settings):
    """A Ukrainian newsroom: NEWSDESK_LANGUAGE=uk."""
    settings.LANGUAGE_CODE = "uk"


# --- Reader pages ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
def test_article_page_in_ukrainian(client):
    reporter = author("Оксана Марченко", "oksana-marchenko", bio="Кореспондентка у Сумах.")
    article = make_article(
        "Світло повертається в Суми",
        slug="power-returns-to-sumy",
        authors=[reporter],
        topics=[topic("Сумщина", "sumy-oblast")],
        published_at=PUBLISHED,
        body=paragraphs(words(300)),
    )
    page = render(client, article.url)

    assert page.html["lang"] == "uk"
    assert text_of(page, ".skip-link") == "Перейти до основного вмісту"
    byline = text_of(page, ".byline")
    assert "Текст: Оксана Марченко" in byline
    assert "27 січня 2024 р., 15:34" in byline
    assert "2 хвилини читання" in byline
    # Machine-readable times stay ISO 8601 whatever the language.
    assert page.select_one(".byline__time")["datetime"] == "2024-01-27T15:34:00+02:00"
    assert text_of(page, ".article__author-line") == "Автор: Оксана Марченко"
    assert page.select_one(".topics")["aria-label"] == "Теми"
    assert "Незалежна журналістика" in text_of(page, ".site-footer")
    for english in ("Skip to content", "min read", "Author:", "January"):
        assert english not in page.text


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
@pytest.mark.parametrize(
    ("word_count", "expected"),
    [
        (100, "1 хвилина читання"),
        (300, "2 хвилини читання"),
        (1100, "5 хвилин читання"),
        (2500, "11 хвилин читання"),  # 11-14 take the "many" form, unlike 1-4
        (4900, "21 хвилина читання"),
        (5200, "22 хвилини читання"),
    ],
)
def test_reading_time_takes_the_right_plural(client, word_count, expected):
    article = make_article(body=paragraphs(words(word_count)), hero=False)
    assert text_of(render(client, article.url), ".byline__read") == expected


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
def test_several_authors_are_joined_the_ukrainian_way(client):
    authors = [
        author("Ірина Бондар", "iryna-bondar"),
        author("Тарас Гнатюк", "taras-hnatiuk"),
        author("Анна Лі", "anna-li"),
    ]
    page = render(client, make_article(authors=authors, hero=False).url)
    byline = text_of(page, ".byline__authors").replace(" ,", ",")
    assert byline == "Текст: Ірина Бондар, Тарас Гнатюк та Анна Лі"
    assert text_of(page, ".article__author-line").endswith("Ірина Бондар, Тарас Гнатюк та Анна Лі")


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
def test_update_corrections_and_related_stories_in_ukrainian(client):
    energy = topic("Енергетика", "energy")
    make_article("Попередня новина", slug="earlier-story", topics=[energy], hero=False)
    article = make_article(published_at=PUBLISHED, topics=[energy], hero=False)
    article.last_substantive_update = datetime(2024, 1, 28, 8, 0, tzinfo=UTC)
    article.corrections.create(
        published_at=datetime(2024, 1, 28, 9, 0, tzinfo=UTC),
        text="У попередній версії було вказано неправильний район.",
    )
    article.save_revision().publish()
    page = render(client, article.url)

    assert text_of(page, ".article__updated") == "Оновлено 28 січня 2024 р., 10:00"
    assert text_of(page, "#corrections-heading") == "Виправлення"
    assert "28 січня 2024 р., 11:00" in text_of(page, ".corrections")
    assert text_of(page, "#related-heading") == "Читайте також"
    assert "Попередня новина" in text_of(page, ".related")


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
def test_home_page_in_ukrainian(client):
    make_article(
        "Старіша новина", slug="older", published_at=datetime(2024, 1, 1, tzinfo=UTC), hero=False
    )
    make_article(
        "Головна новина", slug="lead", published_at=PUBLISHED, body=paragraphs(words(1100))
    )
    page = render(client, "/")

    assert page.html["lang"] == "uk"
    assert [link.text for link in page.select(".masthead__nav a")] == [
        "Головна",
        "Стрічка новин",
        "Наживо",
    ]
    assert text_of(page, "#lead-heading") == "Головне"
    lead = text_of(page, ".home-lead .card__meta")
    assert "27 січня 2024 р., 15:34" in lead
    assert "5 хвилин читання" in lead
    assert text_of(page, "#latest-heading") == "Останнє"
    assert text_of(page, ".more-link") == "Усі новини"


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
def test_live_feed_page_in_ukrainian(client, settings):
    settings.TIME_ZONE = "Europe/Kyiv"
    feed = make_live_feed("Негода на узбережжі", slug="storm", coverage_start=PUBLISHED)
    post(
        feed,
        "Оголошено евакуацію",
        published_at=PUBLISHED,
        is_key_event=True,
        source_name="Одеська ОВА",
        source_channel="Telegram",
        verification="confirmed",
    )
    post(feed, "Де знайти укриття", published_at=PUBLISHED + timedelta(minutes=10), is_pinned=True)
    page = render(client, feed.url)

    assert page.html["lang"] == "uk"
    assert text_of(page, ".live__status") == "Наживо"
    assert prose_of(page, ".live__meta") == "Трансляцію розпочато 27 січня 2024 р., 15:34."
    # The zone label is built in live/models.py zone_label(); the city stays as the tz database
    # spells it. The offset is today's, so summer and winter both pass.
    assert re.fullmatch(
        r"Час указано за часовим поясом Kyiv \(EES?T, UTC\+0[23]:00\)\.",
        text_of(page, "[data-zone-label]"),
    )
    assert text_of(page, "#key-events-heading") == "Ключові події"
    assert text_of(page, "#pinned-heading") == "Закріплено"
    assert text_of(page, ".live__date") == "27 січня 2024 р."
    assert text_of(page, ".live__timeline .update__time time") == "15:34"
    assert text_of(page, ".update--key .update__badge") == "Ключова подія"
    assert prose_of(page, ".live__timeline .update__source") == (
        "Джерело: Одеська ОВА, через Telegram Підтверджено нашими журналістами"
    )
    # The pinned update names no source: its verification label stands alone.
    assert prose_of(page, ".live__pinned .update__source") == "Не підтверджено"
    assert text_of(page, ".update__share a") == "Постійне посилання"
    # Labels for live.js: its {n}, {headline} and {zone} placeholders survive translation, and
    # the three samples (1, 2, 5) give Intl.PluralRules("uk") its one, few and many forms.
    labels = page.select_one("[data-live-feed]")
    assert labels["data-label-new-one"] == "{n} новий допис"
    assert labels["data-label-new-few"] == "{n} нові дописи"
    assert labels["data-label-new-many"] == "{n} нових дописів"
    assert labels["data-label-announce"] == "Новий допис: {headline}"
    assert labels["data-label-local"] == "Час указано за вашим часовим поясом ({zone})."
    for english in ("Key events", "Pinned", "Coverage", "Times are", "Source:", "January"):
        assert english not in page.text


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
def test_ended_live_feed_and_live_index_in_ukrainian(client, settings):
    settings.TIME_ZONE = "Europe/Kyiv"
    feed = make_live_feed(
        "Вибори",
        slug="election",
        status="ended",
        coverage_start=PUBLISHED,
        coverage_end=datetime(2024, 1, 28, 8, 0, tzinfo=UTC),
    )
    post(
        feed,
        "Дільниці зачинено",
        published_at=PUBLISHED,
        source_name="Штаб кандидата",
        verification="disputed",
    )
    make_live_feed("Негода", slug="storm")
    page = render(client, feed.url)

    assert text_of(page, ".live__status") == "Трансляцію завершено"
    assert prose_of(page, ".live__meta") == (
        "Трансляцію розпочато 27 січня 2024 р., 15:34; завершено 28 січня 2024 р., 10:00."
    )
    assert text_of(page, ".verification") == "Спірне"
    index = render(client, "/live/")
    assert [text_of(item, "a") for item in index.select(".live-list li")] == ["Негода", "Вибори"]
    assert [badge.text for badge in index.select(".live-list .live__status")] == ["Наживо"]


@pytest.mark.usefixtures("ukrainian")
def test_pagination_in_ukrainian():
    html = render_to_string(
        "components/pagination.html", {"page_obj": Paginator(range(3), 1).get_page(2)}
    )
    nav = BeautifulSoup(html, "html.parser").nav
    assert nav["aria-label"] == "Сторінки"
    assert nav.get_text(" ", strip=True) == "Новіші Сторінка 2 з 3 Старіші"


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
def test_locked_out_page_in_ukrainian(client):
    make_user("editor1")
    login = reverse("wagtailadmin_login")
    for _ in range(5):
        client.post(login, {"username": "editor1", "password": "wrong"})
    blocked = client.post(login, {"username": "editor1", "password": "wrong"})
    assert blocked.status_code == 429
    page = BeautifulSoup(blocked.content, "html.parser")
    assert page.h1.text == "Забагато спроб входу"
    assert blocked["Retry-After"] == "60"  # the first lock is a minute long


# --- The language comes from settings, never from the browser -------------------------------


@pytest.mark.django_db
def test_english_pages_stay_english_by_default(client):
    article = make_article(published_at=PUBLISHED, body=paragraphs(words(300)), hero=False)
    one_minute = make_article(body=paragraphs(words(100)), hero=False)
    # A Ukrainian browser still gets the newsroom's language.
    page = render(client, article.url, accept_language="uk-UA,uk;q=0.9")

    assert page.html["lang"] == "en"
    assert text_of(page, ".skip-link") == "Skip to content"
    byline = text_of(page, ".byline")
    assert byline.startswith("by ")
    assert "January 27, 2024 3:34 PM" in byline
    assert "2 min read" in byline
    assert text_of(page, ".article__author-line").startswith("Author: ")
    assert not re.search("[а-яіїєґ]", page.text, re.IGNORECASE)
    assert text_of(render(client, one_minute.url), ".byline__read") == "1 min read"


@pytest.mark.django_db
@pytest.mark.usefixtures("ukrainian")
def test_ukrainian_newsroom_ignores_the_browsers_language(client):
    article = make_article(hero=False)
    page = render(client, article.url, accept_language="en-US,en;q=0.9")
    assert page.html["lang"] == "uk"
    assert text_of(page, ".skip-link") == "Перейти до основного вмісту"


@pytest.mark.usefixtures("ukrainian")
def test_active_language_follows_settings():
    assert translation.get_language() == "uk"
    assert translation.gettext("Skip to content") == "Перейти до основного вмісту"


# --- The catalog ----------------------------------------------------------------------------


def read_po(path):
    """The entries of a .po file: flags, msgctxt, msgid, msgid_plural and msgstr by index."""
    entries, entry, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            field[0][field[1]] += ast.literal_eval(line)
        else:
            keyword, value = line.split(" ", 1)
            match = re.fullmatch(r"msgstr(?:\[(\d)\])?", keyword)
            field = (entry["msgstr"], int(match.group(1) or 0)) if match else (entry, keyword)
            field[0][field[1]] = ast.literal_eval(value)
    return entries


def plural_rule(header):
    return re.search(r"^Plural-Forms: (.*)$", header, re.MULTILINE).group(1)


@pytest.fixture(scope="module")
def po_entries():
    return read_po(CATALOG / "django.po")


def test_catalog_header(po_entries):
    header = po_entries[0]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    fields = dict(line.split(": ", 1) for line in header["msgstr"][0].splitlines() if ": " in line)
    assert fields["Language"] == "uk"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    # The same plural rule as Django's own Ukrainian catalog (three forms for whole numbers,
    # a fourth for fractions), so its plural forms and ours are chosen alike.
    assert fields["Plural-Forms"].startswith("nplurals=4;")


def test_every_string_is_translated(po_entries):
    messages = po_entries[1:]
    assert len(messages) > 50
    for entry in messages:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        expected_forms = 4 if "msgid_plural" in entry else 1
        assert len(entry["msgstr"]) == expected_forms, entry["msgid"]
        for translated in entry["msgstr"].values():
            assert translated.strip(), entry["msgid"]
            # Same placeholders, or rendering the string raises KeyError.
            assert set(PLACEHOLDER.findall(translated)) == set(
                PLACEHOLDER.findall(entry["msgid"])
            ), entry["msgid"]


@pytest.mark.django_db
@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext, as makemessages does")
def test_catalog_has_every_string_in_the_source(settings, tmp_path, monkeypatch, po_entries):
    """Every translatable string in the code and templates is in the catalog.

    Runs makemessages as the maintainers do (`newsdesk makemessages -l uk --ignore 'demo/*'`),
    on a copy of the package so the committed catalog is left alone, and compares.
    """
    package = Path(newsdesk.__file__).parent
    copy = tmp_path / "newsdesk"
    shutil.copytree(
        package,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo", "demo"),
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["uk"], ignore_patterns=["demo/*"], verbosity=0)

    def keys(entries):
        return {(entry.get("msgctxt"), entry["msgid"]) for entry in entries[1:]}

    extracted = read_po(copy / "locale" / "uk" / "LC_MESSAGES" / "django.po")
    missing = keys(extracted) - keys(po_entries)
    stale = keys(po_entries) - keys(extracted)
    assert not missing, f"Run makemessages and translate: {sorted(missing, key=str)}"
    assert not stale, f"No longer in the source; run makemessages: {sorted(stale, key=str)}"


def test_compiled_catalog_matches_the_po_file(po_entries):
    """The committed .mo must be compiled from the current .po (installs have no gettext)."""
    with (CATALOG / "django.mo").open("rb") as file:
        compiled = GNUTranslations(file)._catalog  # noqa: SLF001 - the whole catalog, as read
    # msgfmt leaves POT-Creation-Date out of the compiled header; the plural rule must be there.
    compiled_header = compiled.pop("")
    assert plural_rule(compiled_header) == plural_rule(po_entries[0]["msgstr"][0])
    expected = {}
    for entry in po_entries[1:]:
        msgid = entry["msgid"]
        if "msgctxt" in entry:
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        if "msgid_plural" in entry:
            expected |= {(msgid, index): text for index, text in entry["msgstr"].items()}
        else:
            expected[msgid] = entry["msgstr"][0]
    assert compiled == expected
