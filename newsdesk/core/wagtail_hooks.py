from wagtail import hooks

from newsdesk.core import restrictions


# Outermost (lowest order): Wagtail's view-restriction check and the page's context run
# inside, so they share one read of the restrictions (newsdesk/core/restrictions.py).
@hooks.register("on_serve_page", order=-100)
def read_view_restrictions_once(serve):
    def inner(page, request, serve_args, serve_kwargs):
        with restrictions.serving():
            return serve(page, request, serve_args, serve_kwargs)

    return inner
