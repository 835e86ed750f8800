"""Every request records what it loads, so that a stored part built in it knows its tags.

The page cache records only the renders it may store (its ASGI layer); a part can be built
on any request (a page rendered for an editor, the mirror, the test client), and is stored
only when what the request loaded before the part was built is known (store.py): together
with the request's other new parts, once the response is ready.
"""

from newsdesk.pagecache import recorder
from newsdesk.parts import store


def parts_middleware(get_response):
    def middleware(request):
        token = store.begin_request()
        started = recorder.current() is None
        if started:
            recording = recorder.start_token()
        try:
            response = get_response(request)
            store.flush()  # the parts the page built, in one transaction
            return response
        finally:
            if started:
                recorder.stop(recording)
            store.end_request(token)

    return middleware
