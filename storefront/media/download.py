"""Fetching a photo from an address an import gave (Shopify's CDN), within the size limit."""

import urllib.error
import urllib.request

from ..exceptions import DomainError

TIMEOUT_SECONDS = 20
CHUNK = 64 * 1024


class DownloadFailed(DomainError):
    status = 502
    code = "download_failed"


def download(url, max_bytes, timeout=TIMEOUT_SECONDS):
    """The bytes at `url` (http or https only); raises DownloadFailed for any other
    address, an answer other than 200, a network error, or more than `max_bytes`."""
    if not url.startswith(("https://", "http://")):
        raise DownloadFailed("not a web address")
    request = urllib.request.Request(url, headers={"User-Agent": "storefront-media-fetch"})  # noqa: S310
    try:
        # The scheme is checked above: no file:// or other handlers are reachable.
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            if response.status != 200:
                raise DownloadFailed(f"the server answered {response.status}")
            chunks, size = [], 0
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadFailed(f"larger than {max_bytes / 1_048_576:g} MB")
                chunks.append(chunk)
    except urllib.error.HTTPError as error:
        raise DownloadFailed(f"the server answered {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise DownloadFailed(f"could not be reached ({reason})") from None
    return b"".join(chunks)
