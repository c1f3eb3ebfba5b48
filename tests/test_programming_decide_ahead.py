"""Choosing ahead (ProgrammingSettings.decide_ahead, the setting decide_ahead_seconds), driven
by the injected clock: a track is chosen and stored that long before its play is due,
and the play leaves at the prepare time; a restart in between sends that same track."""

from tests.harness import stored_timeline
from tests.programming_support import default_songs, instant, load, make_programmer
from tests.programming_support import playlist, radio
from yascheduler.app.service import programming_settings
from yascheduler.programming import ProgrammingSettings
from yascheduler.support.config import resolve

T0 = instant("2026-06-01 00:00:10")
SONG = 200.0
SETTINGS = ProgrammingSettings(prepare_seconds=5.0, decide_ahead=1.0)
DECIDED, SENT = T0 + SONG - 6.0, T0 + SONG - 5.0  # the second track's choice, its play


def started(settings=SETTINGS, at=T0):
    """One radio of SONG-long songs, its first track started at `at`."""
    radio(playlists=[playlist(1, default_songs(30, SONG))])
    programmer, clock, player = make_programmer(at, settings)
    load(programmer)
    programmer.run_due()
    return programmer, clock, player


def test_the_next_track_is_chosen_ahead_and_its_play_leaves_at_the_prepare_time(db):
    programmer, clock, player = started()
    assert programmer.next_event("r1") == (DECIDED, "prepare")
    clock.set(DECIDED)
    programmer.run_due()
    assert len(player.plays_for("r1")) == 1  # chosen, not yet sent
    chosen = stored_timeline("r1")
    assert (chosen.event_at, chosen.event_kind) == (SENT, "send")
    assert chosen.next is not None and not chosen.next.sent

    clock.set(SENT)
    programmer.run_due()
    [_, (sent_at, second)] = player.plays_for("r1")
    assert (sent_at, second.filename, second.starts_at) == (SENT, chosen.next.filename, T0 + SONG)
    assert second.delay_at(sent_at) == 5.0
    assert programmer.next_event("r1") == (T0 + SONG, "start")
    # the send is not written (one write a track): the instance's send mark tells a restart
    stored = stored_timeline("r1")
    assert (stored.event_kind, stored.next.sent) == ("send", False)
    assert programmer.lateness()["max_ms"] == 0.0  # timed against the prepare time


def test_without_deciding_ahead_the_track_is_chosen_and_sent_at_once(db):
    programmer, clock, player = started(ProgrammingSettings(prepare_seconds=5.0))
    assert programmer.next_event("r1") == (SENT, "prepare")
    clock.set(SENT)
    programmer.run_due()
    [_, (sent_at, second)] = player.plays_for("r1")
    assert (sent_at, second.starts_at) == (SENT, T0 + SONG)


def test_a_restart_between_the_choice_and_its_play_sends_the_same_track_on_time(db):
    programmer, clock, _ = started()
    clock.set(DECIDED)
    programmer.run_due()
    chosen = stored_timeline("r1").next.filename

    again, clock_again, player_again = make_programmer(DECIDED + 0.5, SETTINGS)
    load(again)
    again.run_due()
    assert player_again.plays == []  # not due yet
    clock_again.set(SENT)
    again.run_due()
    [(sent_at, play)] = player_again.plays_for("r1")
    assert (sent_at, play.filename, play.starts_at) == (SENT, chosen, T0 + SONG)


def test_a_restart_after_the_play_went_does_not_send_it_again(db):
    programmer, clock, _ = started()
    clock.set(SENT)
    programmer.run_due()  # chosen, then sent
    again, clock_again, player_again = make_programmer(SENT + 1.0, SETTINGS)
    load(again, sent_through=lambda stored: SENT + 0.05)  # its writer's mark: sent by then
    clock_again.set(T0 + SONG + 1.0)
    again.run_due()  # its start, replayed
    assert player_again.plays == []
    assert again.next_event("r1") == (T0 + 2 * SONG - 6.0, "prepare")


def test_a_restart_after_the_play_its_mark_not_past_it_sends_the_same_track_again(db):
    programmer, clock, player = started()
    clock.set(SENT)
    programmer.run_due()  # chosen, then sent; the instance killed before its mark moved on
    [_, (_, sent)] = player.plays_for("r1")
    again, _, player_again = make_programmer(SENT + 1.0, SETTINGS)
    load(again, sent_through=lambda stored: SENT - 0.05)
    again.run_due()
    [(_, play)] = player_again.plays_for("r1")  # the same slot: never another track
    assert (play.filename, play.starts_at) == (sent.filename, sent.starts_at)
    assert play.delay_at(SENT + 1.0) == 4.0


def test_a_restart_after_the_play_its_mark_not_past_it_but_recorded_sends_nothing(db):
    programmer, clock, player = started()
    clock.set(SENT)
    programmer.run_due()  # chosen, sent and recorded; killed before its mark moved on
    [_, (_, sent)] = player.plays_for("r1")
    again, clock_again, player_again = make_programmer(SENT + 1.0, SETTINGS)
    load(
        again,
        sent_through=lambda stored: SENT - 0.05,
        published=lambda radio, starts_at: (radio, starts_at) == ("r1", sent.starts_at),
    )
    clock_again.set(T0 + SONG + 1.0)
    again.run_due()
    assert player_again.plays == []
    assert again.next_event("r1") == (T0 + 2 * SONG - 6.0, "prepare")


def test_a_master_joining_within_the_lead_hears_the_next_track_once_at_its_play(db):
    programmer, clock, player = started()
    clock.set(DECIDED + 0.5)
    programmer.run_due()
    [playing] = programmer.join("r1")  # the next one is not sent yet: it goes with its event
    assert playing.starts_at == T0
    clock.set(SENT)
    programmer.run_due()
    assert [play.starts_at for play in programmer.join("r1")] == [T0, T0 + SONG]
    assert [command.starts_at for _, command in player.plays_for("r1")] == [T0, T0 + SONG]


def test_a_master_joining_after_the_start_of_a_track_not_yet_sent_hears_it_once(db):
    programmer, clock, player = started()
    clock.set(DECIDED)
    programmer.run_due()  # chosen; then the loop falls behind past the track's start
    clock.set(T0 + SONG + 2.0)
    assert programmer.join("r1") == []  # the one ended, the next goes with its `send`
    programmer.run_due()
    [_, (_, late)] = player.plays_for("r1")
    assert (late.starts_at, late.offset_at(clock.now())) == (T0 + SONG, 2.0)


def test_the_service_chooses_as_far_ahead_as_decide_ahead_seconds_says(db):
    settings = programming_settings(resolve({"decide_ahead_seconds": "3"}, {"TZ": "UTC"}))
    programmer, clock, player = started(settings)
    assert programmer.next_event("r1") == (T0 + SONG - 8.0, "prepare")  # 5 + 3 s ahead
    clock.set(T0 + SONG - 8.0)
    programmer.run_due()
    assert programmer.next_event("r1") == (SENT, "send")
