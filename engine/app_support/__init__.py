"""What the Streamlit app needs beyond the store, jobs and auth APIs.

The pages in ``pages/`` hold no business logic: whatever a page computes
(review items with their part scores, library charts, transfer dry runs, file
import/export, per-user preferences, who the current user is) lives here, in
small modules that never import Streamlit, so they are tested like the rest of
the engine.

- :mod:`engine.app_support.people` -- current user resolution (OIDC or local);
- :mod:`engine.app_support.review` -- the curator's queue, paged;
- :mod:`engine.app_support.library` -- playlist/snapshot tables and chart frames;
- :mod:`engine.app_support.transfer` -- sources, dry run by tier, starting a migrate job;
- :mod:`engine.app_support.files` -- importing uploads, exporting for download;
- :mod:`engine.app_support.preferences` -- matching thresholds and retention per user.
"""
