"""Job ``library``: liked tracks into the target's liked library (TIDAL), or
into one named playlist where the provider documents no liked-track write
(Deezer); a dry run counts each kind; a re-run saves nothing twice."""

from __future__ import annotations

from pathlib import Path

from group_helpers import served_sandbox

from engine.demo import connect_sandbox_account
from engine.jobs import job_row, run_job, submit


def test_liked_into_liked_library_and_playlist_fallback(sqlite_url: str, tmp_path: Path) -> None:
    with served_sandbox(sqlite_url, tmp_path, 40) as (sandbox, runtime, user):
        accounts = {
            p: connect_sandbox_account(runtime, sandbox, user, p)
            for p in ("spotify", "tidal", "deezer")
        }
        isrcs = [f"QZTST26{n:05d}" for n in range(12)]

        def sid(provider: str, isrc: str) -> str:
            return sandbox.catalog.by_isrc(provider, isrc)[0].id_for(provider)

        sandbox.seed_library("spotify", "demo-user", liked=[sid("spotify", i) for i in isrcs])
        sandbox.seed_library("tidal", "demo-user", liked=[sid("tidal", isrcs[0])])
        sandbox.seed_library(
            "spotify",
            "demo-user",
            saved_albums=[sandbox.catalog.by_isrc("spotify", isrcs[0])[0].album_ids["spotify"]],
        )

        def job(target: str, *, dry_run: bool, key: str) -> dict:  # type: ignore[type-arg]
            params = {
                "source_account_id": accounts["spotify"],
                "target_account_id": accounts[target],
                "dry_run": dry_run,
            }
            job_id = submit(
                runtime, "library", params, user_id=user, idempotency_key=key, start=False
            )
            assert run_job(runtime, job_id) == "succeeded", job_row(runtime, job_id)["error"]
            return dict(job_row(runtime, job_id)["result"])

        pulled = submit(
            runtime,
            "pull",
            {"account_id": accounts["spotify"], "playlists": ["none"], "albums": True},
            user_id=user,
            start=False,
        )
        assert run_job(runtime, pulled) == "failed"  # no such playlist: a clear error
        pulled = submit(
            runtime,
            "pull",
            {"account_id": accounts["spotify"], "liked": True, "albums": True},
            user_id=user,
            start=False,
        )
        assert run_job(runtime, pulled) == "succeeded", job_row(runtime, pulled)["error"]
        assert job_row(runtime, pulled)["result"]["albums"] == 1
        from engine.store.db import session_scope
        from engine.store.saved_albums import saved_albums

        with session_scope(runtime.engine) as session:
            [stored] = saved_albums(session, user, accounts["spotify"])
        source_album = sandbox.catalog.album(
            "spotify", sandbox.catalog.by_isrc("spotify", isrcs[0])[0].album_ids["spotify"]
        )
        assert source_album is not None
        assert stored.upc == source_album.upc and stored.track_count == len(source_album.track_ids)

        dry = job("tidal", dry_run=True, key="d1")
        assert dry["liked"] == {
            "source": 12,
            "matched": 12,
            "already_there": 1,
            "to_add": 11,
            "not_available": 0,
            "review": 0,
            "into": "liked library",
        }
        assert dry["albums"] == {
            "source": 1,
            "matched_by_upc": 1,
            "matched_by_text": 0,
            "not_found": 0,
            "to_save": 1,
        }
        assert sandbox.state.library("tidal", "demo-user").liked[1:] == []  # dry: untouched
        sandbox.log.clear()
        done = job("tidal", dry_run=False, key="a1")
        assert done["liked"]["added"] == 11 and done["albums"]["added"] == 1
        paths = {r.path for r in sandbox.log.records if r.method != "GET"}
        assert paths == {
            "/tidal/v2/userCollectionTracks/me/relationships/items",
            "/tidal/v2/userCollectionAlbums/me/relationships/items",
        }, paths
        [(album_id, _)] = sandbox.state.library("tidal", "demo-user").saved_albums
        assert album_id == sandbox.catalog.by_isrc("tidal", isrcs[0])[0].album_ids["tidal"]
        liked = {
            sandbox.catalog.track("tidal", t).isrc
            for t, _ in sandbox.state.library("tidal", "demo-user").liked
        }  # type: ignore[union-attr]
        assert liked == set(isrcs)
        twice = job("tidal", dry_run=False, key="a2")  # nothing twice
        assert twice["liked"]["to_add"] == 0 and twice["albums"]["to_save"] == 0

        fallback = job("deezer", dry_run=False, key="z1")
        assert "documents no endpoint" in fallback["liked"]["into"]
        assert "counted only" in fallback["albums"]["note"]
        playlist = fallback["liked"]["playlist_id"]
        assert len(sandbox.playlist_track_ids("deezer", playlist)) == 12
        again = job("deezer", dry_run=False, key="z2")
        assert again["liked"]["to_add"] == 0
        assert len(sandbox.playlist_track_ids("deezer", playlist)) == 12


def test_albums_without_a_barcode_match_by_title_artist_and_track_count(
    sqlite_url: str, tmp_path: Path
) -> None:
    from engine.jobs.library import _find_album
    from engine.providers.base import AlbumInfo

    with served_sandbox(sqlite_url, tmp_path, 40) as (sandbox, runtime, user):
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        track = sandbox.catalog.by_isrc("spotify", "QZTST2600012")[0]
        album = sandbox.catalog.album("spotify", track.album_ids["spotify"])
        assert album is not None
        from engine.jobs.connect import open_account

        with open_account(runtime, account, user_id=user) as spotify:
            bare = AlbumInfo(
                id="x", title=album.title, artists=album.artists, track_count=len(album.track_ids)
            )
            found, rule = _find_album(spotify, bare)
            assert found is not None and found.id == album.id and rule == "title+artist+track count"
            wrong = AlbumInfo(id="y", title=album.title, artists=album.artists, track_count=99)
            assert _find_album(spotify, wrong) == (None, "not found")
