"""/desk/: the live desk, where editors post updates to a live feed quickly.

Server-rendered and usable without JavaScript; desk.js adds Ctrl+Enter and keeps unsent text
in the tab if the network drops. Every write goes through newsdesk.live.actions, so sequence
numbers, history and readers' streams behave exactly as for the API and the command line.

Who may do what (newsdesk.accounts.roles): contributors post and edit drafts; editors also publish,
edit published updates, add corrections and delete.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from newsdesk.desk import incoming
from newsdesk.desk.forms import CorrectionForm, EditForm, PostForm, WhatWeKnowForm, body_text
from newsdesk.desk.incoming_stream import broker as incoming_broker
from newsdesk.desk.incoming_stream import stream
from newsdesk.live.actions import (
    correct_update,
    delete_update,
    edit_update,
    post_update,
    set_what_we_know,
)
from newsdesk.live.events import parse_sequence
from newsdesk.live.models import LiveFeedPage, LiveUpdate
from newsdesk.sources.models import Item, ItemVersion, Source
from newsdesk.sources.notify import notify

RECENT = 30
SESSION_KEY = "desk_feed"
POSTED_KEY = "desk_posted"

ADD, CHANGE, PUBLISH, DELETE = (
    "live.add_liveupdate",
    "live.change_liveupdate",
    "live.publish_liveupdate",
    "live.delete_liveupdate",
)


def desk_view(view):
    """Logged in with admin access, or off to the admin's login page; never cached."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
        if not request.user.has_perm("wagtailadmin.access_admin"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def feeds():
    """Published live feeds, running ones first, newest coverage first."""
    running_first = Case(
        When(status=LiveFeedPage.Status.LIVE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return LiveFeedPage.objects.live().order_by(running_first, "-coverage_start", "title")


def desk_url(feed):
    return f"{reverse('desk:home')}?{urlencode({'feed': feed.slug})}"


def choose_feed(request, available):
    """The feed from ?feed= (slug or id), else the last one used, else the first."""
    wanted = request.GET.get("feed", "").strip()
    feed = None
    if wanted:
        feed = available.filter(slug=wanted).first()
        if feed is None and wanted.isdigit():
            feed = available.filter(pk=int(wanted)).first()
        if feed is None:
            messages.error(request, _("There is no published live feed “%s”.") % wanted)
    if feed is None and request.session.get(SESSION_KEY):
        feed = available.filter(pk=request.session[SESSION_KEY]).first()
    if feed is None:
        feed = available.first()
    if feed is not None:
        request.session[SESSION_KEY] = feed.pk
    return feed


def _permissions(user):
    return {
        "can_add": user.has_perm(ADD),
        "can_change": user.has_perm(CHANGE),
        "can_publish": user.has_perm(PUBLISH),
        "can_delete": user.has_perm(DELETE),
    }


def _with_excerpt(update):
    update.excerpt = body_text(update.body)[0]
    return update


def _recent(feed):
    updates = (
        LiveUpdate.objects.filter(feed=feed, deleted_at__isnull=True)
        .select_related("created_by")
        .prefetch_related("corrections")
        .order_by("-published_at", "-pk")[:RECENT]
    )
    return [_with_excerpt(update) for update in updates]


@desk_view
def desk(request):
    available = feeds()
    perms = _permissions(request.user)
    if request.method == "POST":
        if not perms["can_add"]:
            raise PermissionDenied
        chosen = request.POST.get("feed", "")
        feed = available.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        if feed is None:
            messages.error(request, _("That live feed is no longer published; choose another."))
            return redirect("desk:home")
        request.session[SESSION_KEY] = feed.pk
        form = PostForm(request.POST, request.FILES, can_publish=perms["can_publish"])
        if not form.is_valid():
            form.forget_new_image()
        else:
            fields = form.fields_for_model()
            try:
                with transaction.atomic():
                    draft = LiveUpdate(feed=feed, **fields)
                    fields.update(form.picture_changes(draft, request.user))
                    update = post_update(
                        feed, user=request.user, publish=form.wants_publish, **fields
                    )
            except ValidationError as error:
                form.add_model_errors(error)
                form.forget_new_image()
            else:
                if update.is_published:
                    message = _("Published update #%(sequence)s: %(headline)s")
                else:
                    message = _("Saved draft #%(sequence)s: %(headline)s")
                announce(request, message, update)
                request.session[POSTED_KEY] = True
                return redirect(desk_url(feed))
    else:
        feed = choose_feed(request, available)
        form = PostForm(can_publish=perms["can_publish"])
        form.fields["headline"].widget.attrs["autofocus"] = True
    return render(
        request,
        "desk/desk.html",
        {
            "feeds": available,
            "feed": feed,
            "form": form,
            "updates": _recent(feed) if feed else [],
            "known_form": WhatWeKnowForm(initial={"what_we_know": feed.what_we_know})
            if feed
            else None,
            # Tells desk.js that the text it kept for this feed has been posted.
            "just_posted": request.method == "GET" and request.session.pop(POSTED_KEY, False),
            **perms,
            **_incoming_context(request),
        },
    )


def _incoming_context(request):
    """The Incoming column, filtered as ?source= and ?q= ask (the form works without JS)."""
    source = request.GET.get("source", "")
    source_id = int(source) if source.isdigit() else None
    text = request.GET.get("q", "")[:100]
    items = incoming.incoming_items(source_id=source_id, text=text)
    return {
        "incoming": incoming.cards(items),
        "incoming_sources": Source.objects.only("pk", "name"),
        "incoming_source": source_id,
        "incoming_text": text,
        # Where the stream resumes: the newest version the page was rendered with.
        "incoming_position": ItemVersion.objects.order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0,
        **incoming.permissions(request.user),
    }


def _update_or_404(pk):
    update = get_object_or_404(
        LiveUpdate.objects.select_related("feed").filter(deleted_at__isnull=True), pk=pk
    )
    if not update.feed.live:
        raise Http404
    return update


def _may_edit(user, update):
    """Contributors edit drafts; changing what readers already see takes an editor."""
    return user.has_perm(CHANGE) and (not update.is_published or user.has_perm(PUBLISH))


def _conflict(request, form, update):
    """True (with a message on the form) if someone changed the update since the form opened."""
    if request.POST.get("sequence") == str(update.sequence):
        return False
    form.add_error(
        None,
        _(
            "Someone else changed this update while you were editing. Your text is kept "
            "below; compare it with the current version and save again."
        ),
    )
    return True


@desk_view
def edit(request, pk):
    update = _update_or_404(pk)
    if not _may_edit(request.user, update):
        raise PermissionDenied
    can_publish = request.user.has_perm(PUBLISH)
    if request.method == "POST":
        form = EditForm(request.POST, request.FILES, update=update, can_publish=can_publish)
        if not form.is_valid() or _conflict(request, form, update):
            form.forget_new_image()
        else:
            try:
                with transaction.atomic():
                    changes = form.changes(update)
                    changes.update(form.picture_changes(update, request.user))
                    if form.wants_publish:
                        changes.update(is_published=True, published_at=timezone.now())
                    if changes:
                        edit_update(update, user=request.user, **changes)
            except ValidationError as error:
                form.add_model_errors(error)
                form.forget_new_image()
                update.refresh_from_db()
            else:
                if not changes:
                    messages.info(request, _("Nothing changed in #%s.") % update.sequence)
                    return redirect(desk_url(update.feed))
                if form.wants_publish:
                    message = _("Published update #%(sequence)s: %(headline)s")
                else:
                    message = _("Saved update #%(sequence)s: %(headline)s")
                announce(request, message, update)
                return redirect(desk_url(update.feed))
    else:
        form = EditForm(
            initial=EditForm.initial_for(update), update=update, can_publish=can_publish
        )
    return render(
        request,
        "desk/edit.html",
        {
            "update": _with_excerpt(update),
            "feed": update.feed,
            "form": form,
            "formatted": body_text(update.body)[1],
            **_permissions(request.user),
        },
    )


@desk_view
def correct(request, pk):
    update = _update_or_404(pk)
    if not (request.user.has_perm(CHANGE) and request.user.has_perm(PUBLISH)):
        raise PermissionDenied
    if not update.is_published:
        messages.info(request, _("Drafts need no correction: edit the draft instead."))
        return redirect("desk:edit", pk=update.pk)
    if request.method == "POST":
        form = CorrectionForm(request.POST, request.FILES, current_image=update.image)
        if not form.is_valid() or _conflict(request, form, update):
            form.forget_new_image()
        else:
            try:
                with transaction.atomic():
                    changes = form.changes(update)
                    changes.update(form.picture_changes(update, request.user))
                    correct_update(
                        update, text=form.cleaned_data["correction"], user=request.user, **changes
                    )
            except ValidationError as error:
                form.add_model_errors(error, rename={"text": "correction"})
                form.forget_new_image()
                update.refresh_from_db()
            else:
                messages.success(
                    request,
                    _("Added a correction to update #%(sequence)s: %(headline)s")
                    % {"sequence": update.sequence, "headline": update.headline},
                )
                return redirect(desk_url(update.feed))
    else:
        form = CorrectionForm(
            initial=CorrectionForm.initial_for(update), current_image=update.image
        )
    return render(
        request,
        "desk/correct.html",
        {
            "update": _with_excerpt(update),
            "feed": update.feed,
            "form": form,
            "formatted": body_text(update.body)[1],
            **_permissions(request.user),
        },
    )


@require_POST
@desk_view
def publish(request, pk):
    update = _update_or_404(pk)
    if not request.user.has_perm(PUBLISH):
        raise PermissionDenied
    if update.is_published:
        messages.info(request, _("Update #%s is already published.") % update.sequence)
    else:
        try:
            edit_update(update, user=request.user, is_published=True, published_at=timezone.now())
        except ValidationError as error:
            messages.error(
                request,
                _("Update #%(sequence)s was not published: %(problems)s")
                % {"sequence": update.sequence, "problems": " ".join(error.messages)},
            )
            return redirect("desk:edit", pk=update.pk)
        messages.success(
            request,
            _("Published update #%(sequence)s: %(headline)s")
            % {"sequence": update.sequence, "headline": update.headline},
        )
    return redirect(desk_url(update.feed))


@require_POST
@desk_view
def what_we_know(request, feed_id):
    """Save the feed's "What we know" box: what readers see, so editors only."""
    if not request.user.has_perm(PUBLISH):
        raise PermissionDenied
    feed = get_object_or_404(feeds(), pk=feed_id)
    form = WhatWeKnowForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["what_we_know"]))
    elif form.cleaned_data["what_we_know"] == feed.what_we_know:
        messages.info(request, _("“What we know” has not changed."))
    else:
        try:
            set_what_we_know(feed, form.cleaned_data["what_we_know"], user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved “What we know”; readers see it now."))
    return redirect(desk_url(feed))


@desk_view
def delete(request, pk):
    update = _update_or_404(pk)
    if not request.user.has_perm(DELETE):
        raise PermissionDenied
    if request.method == "POST":
        was_published = update.is_published
        delete_update(update, user=request.user)
        if was_published:
            message = _("Deleted update “%(headline)s” (change #%(sequence)s).")
        else:
            message = _("Deleted draft “%(headline)s” (change #%(sequence)s).")
        messages.success(
            request, message % {"sequence": update.sequence, "headline": update.headline}
        )
        return redirect(desk_url(update.feed))
    return render(
        request, "desk/delete.html", {"update": _with_excerpt(update), "feed": update.feed}
    )


def announce(request, message, update):
    """A success message naming the update and the sequence number its change took."""
    messages.success(request, message % {"sequence": update.sequence, "headline": update.headline})


def _item_or_404(pk):
    return get_object_or_404(Item.objects.select_related("source"), pk=pk)


@desk_view
def use_item(request, pk):
    """A live update prefilled from an incoming item, in the chosen feed; posting it (Post
    update, or Ctrl+Enter) publishes it, or saves a draft for contributors."""
    item = _item_or_404(pk)
    perms = _permissions(request.user)
    if not perms["can_add"]:
        raise PermissionDenied
    available = feeds()
    if request.method == "POST":
        chosen = request.POST.get("feed", "")
        feed = available.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        number = request.POST.get("version", "")
        version = item.versions.filter(pk=int(number)).first() if number.isdigit() else None
        version = version or incoming.latest_version(item)
        form = PostForm(request.POST, can_publish=perms["can_publish"])
        if feed is None:
            form.add_error(None, _("Choose a published live feed."))
        elif form.is_valid():
            try:
                update = post_update(
                    feed,
                    user=request.user,
                    publish=form.wants_publish,
                    source_time=version.source_time if version else None,
                    **form.fields_for_model(),
                )
            except ValidationError as error:
                form.add_model_errors(error)
            else:
                incoming.record_use(item, version, request.user, update=update)
                if update.is_published:
                    message = _("Published update #%(sequence)s: %(headline)s")
                else:
                    message = _("Saved draft #%(sequence)s: %(headline)s")
                announce(request, message, update)
                request.session[SESSION_KEY] = feed.pk
                return redirect(desk_url(feed))
    else:
        feed = choose_feed(request, available)
        version = incoming.latest_version(item)
        form = PostForm(
            initial=incoming.update_initial(item, version), can_publish=perms["can_publish"]
        )
        form.fields["headline"].widget.attrs["autofocus"] = True
    return render(
        request,
        "desk/use.html",
        {
            "item": item,
            "version": version,
            "feeds": available,
            "feed": feed,
            "form": form,
            **perms,
        },
    )


@require_POST
@desk_view
def article_from_item(request, pk):
    """A draft article with the item's text and attribution, opened in the page editor."""
    item = _item_or_404(pk)
    if not incoming.permissions(request.user)["can_article"]:
        raise PermissionDenied
    version = incoming.latest_version(item)
    try:
        page = incoming.start_article(item, version, request.user)
    except LookupError as error:
        messages.error(request, str(error))
        return redirect("desk:home")
    return redirect("wagtailadmin_pages:edit", page.pk)


@require_POST
@desk_view
def dismiss_item(request, pk):
    """Hide an item from Incoming, for everyone."""
    item = _item_or_404(pk)
    if not request.user.has_perm(ADD):
        raise PermissionDenied
    if incoming.dismiss(item, request.user):
        notify()  # other open desks take it away now
        incoming_broker.wake()
        messages.success(request, _("Dismissed “%s”.") % item.headline)
    return redirect(_back_to_desk(request))


def _back_to_desk(request):
    """The desk, keeping the filters the form was sent from."""
    query = {
        name: request.POST[name] for name in ("source", "q") if request.POST.get(name, "").strip()
    }
    url = reverse("desk:home")
    return f"{url}?{urlencode(query)}" if query else url


async def incoming_events(request):
    """Server-Sent Events: every new item version, resumable with Last-Event-ID."""
    from asgiref.sync import sync_to_async
    from django.core.handlers.asgi import ASGIRequest
    from django.http import HttpResponse, StreamingHttpResponse

    user = await request.auser()
    allowed = user.is_authenticated and await sync_to_async(user.has_perm)(
        "wagtailadmin.access_admin"
    )
    if not allowed:
        return HttpResponse(status=403)
    if not isinstance(request, ASGIRequest):
        # Under WSGI (runserver, a test's live server) Django would read the endless stream
        # to its end before sending a byte, holding a thread for ever. 204 tells EventSource
        # not to reconnect; the column still lists what was there when the page loaded.
        return HttpResponse(status=204)
    after = parse_sequence(request.headers.get("Last-Event-ID"))
    if after is None:
        after = parse_sequence(request.GET.get("after"))
    response = StreamingHttpResponse(stream(after), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"
    return response
