"""Static files as `manage.py serve` collects them at each start (WhiteNoise): hashed names and
gzip copies. No brotli copies: WhiteNoise makes them at brotli's highest quality whenever the
brotli module is installed (WeasyPrint's font tools bring it), which takes over a minute of CPU
for the API documentation's script bundles at every start of the server on two cores, for
bytes every browser also gets through gzip (the public page's CSS and JS are under 2 KB each
gzipped)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class GzipManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage with gzip only."""

    def create_compressor(self, **kwargs):
        return super().create_compressor(use_brotli=False, **kwargs)
