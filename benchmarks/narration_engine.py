"""Narration benchmark: what it costs to turn an article into an MP3 with the local Piper voice.

A 600-word article (invented news prose, eight paragraphs) is rendered with an empty cache,
then again after one paragraph is edited. Reported: the real-time factor (wall seconds per
second of audio) of text to MP3 and of its synthesis and encoding parts, the voice's load
time, the pace of the voice at length_scale 1.0 in words per minute, the time of the
one-paragraph re-render as a share of the full render, and the process's peak memory.

`python -m benchmarks.narration_engine` prints a table. run() measures in a child process, so
that the peak memory is the narration's alone, and returns (BENCHMARKS.md section, summary
lines) like the other benchmarks. Targets: RTF <= 0.05, re-render <= 15 %, peak <= 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from newsdesk.narration.audio import PAUSE_HEADING, PAUSE_PARAGRAPH, Segment, render
from newsdesk.narration.engine import (
    DEFAULT_NARRATION_WPM,
    DEFAULT_THREADS,
    Voice,
    length_scale_for,
)

HEADLINE = "Harbour town weighs the cost of keeping its last ferry afloat"

# Invented for this benchmark; numbers are spelled out so that words as written are words
# as spoken, which keeps the words-per-minute figure honest.
SENTENCES = [
    "The last passenger ferry still running from the old harbour could stop sailing before "
    "the end of the summer, the town council warned on Thursday.",
    "Officials said the vessel needs a new engine and a rebuilt hull, and that the bill would "
    "swallow most of the money set aside for roads this year.",
    "The ferry has crossed the bay several times a day for more than forty years, carrying "
    "workers, schoolchildren and tourists between the harbour and the island villages.",
    "For many people on the island it is the only way to reach the hospital, the secondary "
    "school and the supermarket without a long drive around the headland.",
    "A report presented to councillors described rust in the lower deck, worn propeller "
    "shafts and a steering system that had been patched repeatedly since the nineties.",
    "Inspectors allowed the boat to keep sailing for now, but only in calm weather and with "
    "fewer passengers on board.",
    "Several crossings were cancelled last week when the wind picked up in the afternoon, "
    "leaving commuters stranded on the quay for hours.",
    "The captain, who has worked on the route since he was a teenager, said the crew was "
    "doing everything it could to keep the service going.",
    "He said the boat was old but honest, and that the people who depend on it deserved a "
    "clear answer about its future.",
    "The council is considering three options, and none of them is cheap.",
    "The first would repair the existing ferry, keeping it in service for perhaps another "
    "decade while a long-term plan is drawn up.",
    "The second would replace it with a smaller electric boat, which would cost more to buy "
    "but much less to run over its lifetime.",
    "The third, favoured by some members of the finance committee, would end the passenger "
    "service and pay for a subsidised bus around the bay instead.",
    "Island residents reacted angrily to the idea of losing the ferry altogether.",
    "A petition calling on the council to save the service collected thousands of signatures "
    "in its first weekend, many of them from people who no longer live in the area.",
    "The owner of a small guesthouse on the island said most of her visitors arrive on foot "
    "from the harbour and would simply not come if the crossing disappeared.",
    "A retired teacher said the bus route would turn a short trip across the water into a "
    "journey of well over an hour each way.",
    "Supporters of the electric boat point to a neighbouring district that switched to "
    "battery power on a similar route and now spends far less on fuel and maintenance.",
    "They argue that the town could apply for national grants aimed at cleaner transport, "
    "which would cover a large share of the purchase price.",
    "Critics say the grants are uncertain and that the charging equipment at the harbour "
    "would need a new connection to the electricity network.",
    "The harbour master said the quay itself also needs work, because the wooden piles that "
    "hold up the landing stage have begun to rot.",
    "Any new boat would have to wait until the landing stage is rebuilt, which could take "
    "most of next year.",
    "The leader of the council said no decision would be taken until residents had been "
    "consulted properly.",
    "A series of public meetings will be held in the harbour town and on the island over the "
    "coming weeks, and an online survey opens on Monday.",
    "The council has also asked the regional government whether it would share the cost, "
    "arguing that the ferry serves people from well beyond the town itself.",
    "A spokesman for the regional transport department said the request would be examined "
    "carefully but made no promises.",
    "In the meantime, the ferry company has cut its timetable and asked passengers to check "
    "for cancellations before travelling.",
    "Local businesses on both sides of the bay say the uncertainty is already hurting trade, "
    "as visitors who are unsure of getting home choose to stay away.",
    "The fishermen who share the harbour have offered to help, suggesting that some of their "
    "boats could carry passengers on the busiest days.",
    "Officials said that would require new licences and safety checks, but did not rule it out.",
    "For now, the old ferry keeps sailing when the weather allows, its engine loud and its "
    "paint peeling, while the town decides what it can afford.",
    "The final vote is expected in the autumn, after the consultation closes and the "
    "engineers deliver a full estimate of the repair costs.",
    "Whatever the council chooses, the captain said, the crossing has to go on, because "
    "the island cannot be left on its own.",
]

EDITED = 4  # the segment changed for the re-render: the fourth paragraph (0 is the headline)


def edit(text: str) -> str:
    """A typical late correction: an attribution added to the paragraph's last sentence."""
    return text.removesuffix(".") + ", officials said."


def article(words: int = 600, paragraphs: int = 8) -> list[str]:
    """About `words` words of news prose in `paragraphs` paragraphs (sentences reused if needed)."""
    chosen: list[str] = []
    count = 0
    index = 0
    while count < words:
        sentence = SENTENCES[index % len(SENTENCES)]
        chosen.append(sentence)
        count += len(sentence.split())
        index += 1
    per_paragraph = count / paragraphs
    result: list[list[str]] = [[]]
    running = 0
    for sentence in chosen:
        if running >= per_paragraph * len(result) and len(result) < paragraphs:
            result.append([])
        result[-1].append(sentence)
        running += len(sentence.split())
    return [" ".join(paragraph) for paragraph in result]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure(words: int = 600, threads: int = DEFAULT_THREADS) -> dict[str, Any]:
    """Render the article cold, then after a one-paragraph edit; the figures as a dict."""
    paragraphs = article(words)
    segments = [Segment(HEADLINE, PAUSE_HEADING)]
    segments += [Segment(paragraph, PAUSE_PARAGRAPH) for paragraph in paragraphs]
    word_count = sum(len(segment.text.split()) for segment in segments)
    length_scale = length_scale_for(DEFAULT_NARRATION_WPM)

    voice = Voice(threads=threads)
    started = time.perf_counter()
    identity = voice.identity
    identity_seconds = time.perf_counter() - started
    voice.load()
    load_seconds = time.perf_counter() - started - identity_seconds

    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        cpu = time.process_time()
        started = time.perf_counter()
        full = render(segments, voice, length_scale, cache)
        full_seconds = time.perf_counter() - started
        full_cpu = time.process_time() - cpu

        edited = list(segments)
        edited[EDITED] = Segment(edit(edited[EDITED].text), edited[EDITED].pause_after)
        cpu = time.process_time()
        started = time.perf_counter()
        again = render(edited, voice, length_scale, cache)
        edit_seconds = time.perf_counter() - started
        edit_cpu = time.process_time() - cpu

        started = time.perf_counter()
        cached = render(edited, voice, length_scale, cache)
        cached_seconds = time.perf_counter() - started

    # The voice's own pace: speech only (no paragraph pauses, no MP3 padding) at 1.0.
    spoken = sum(voice.synthesize(p, 1.0).size for p in paragraphs) / voice.sample_rate
    paced = sum(voice.synthesize(p, length_scale).size for p in paragraphs[:3])
    paced_words = sum(len(p.split()) for p in paragraphs[:3])

    return {
        "words": word_count,
        "segments": len(segments),
        "voice": identity,
        "threads": threads,
        "identity_seconds": identity_seconds,
        "load_seconds": load_seconds,
        "length_scale": length_scale,
        "audio_seconds": full.duration,
        "mp3_bytes": len(full.mp3),
        "render_seconds": full_seconds,
        "render_cpu_seconds": full_cpu,
        "rtf": full_seconds / full.duration,
        "synthesis_rtf": full.synthesis_seconds / full.duration,
        "encoding_rtf": full.encoding_seconds / full.duration,
        "rerender_seconds": edit_seconds,
        "rerender_synthesized": again.synthesized,
        "rerender_percent": 100 * edit_seconds / full_seconds,
        "rerender_cpu_percent": 100 * edit_cpu / full_cpu,
        "edited_share_percent": 100
        * (again.starts[EDITED + 1] - again.starts[EDITED])
        / again.duration,
        "cached_render_seconds": cached_seconds,
        "cached_synthesized": cached.synthesized,
        "voice_wpm_at_1": sum(len(p.split()) for p in paragraphs) / spoken * 60,
        "wpm_at_length_scale": paced_words / (paced / voice.sample_rate) * 60,
        "narration_wpm_with_pauses": word_count / full.duration * 60,
        "peak_rss_mb": _peak_rss_mb(),
        "load_average": os.getloadavg()[0],
    }


def lines(result: dict[str, Any]) -> list[str]:
    r = result
    return [
        f"Article: {r['words']} words in {r['segments']} segments -> "
        f"{r['audio_seconds']:.1f} s of MP3 ({r['mp3_bytes'] / 1024:.0f} KB), "
        f"length_scale {r['length_scale']}, voice {r['voice']}, threads {r['threads'] or 'auto'}",
        f"Text to MP3, cold cache:   {r['render_seconds']:.2f} s, RTF {r['rtf']:.3f} "
        f"(synthesis {r['synthesis_rtf']:.3f}, encoding {r['encoding_rtf']:.4f}; "
        f"CPU {r['render_cpu_seconds']:.1f} s)",
        f"One paragraph edited:      {r['rerender_seconds']:.2f} s = "
        f"{r['rerender_percent']:.1f} % of the full render ({r['rerender_cpu_percent']:.1f} % "
        f"of its CPU time; {r['rerender_synthesized']} synthesized, a paragraph that is "
        f"{r['edited_share_percent']:.1f} % of the audio)",
        f"Nothing changed:           {r['cached_render_seconds'] * 1000:.1f} ms "
        f"({r['cached_synthesized']} synthesized)",
        f"Voice load:                {r['load_seconds']:.2f} s "
        f"(+ {r['identity_seconds'] * 1000:.0f} ms hashing the files for cache keys)",
        f"Pace: {r['voice_wpm_at_1']:.0f} wpm at length_scale 1.0, "
        f"{r['wpm_at_length_scale']:.0f} wpm at {r['length_scale']}, "
        f"{r['narration_wpm_with_pauses']:.0f} wpm with paragraph pauses",
        f"Peak memory (RSS):         {r['peak_rss_mb']:.0f} MB",
        f"Load average at the end:   {r['load_average']:.2f} on {os.cpu_count()} cores "
        "(other work on the machine inflates the times)",
    ]


def run(words: int = 600) -> tuple[str, list[str]]:
    """Measure in a fresh process; (the BENCHMARKS.md section, the summary lines to print)."""
    output = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "benchmarks.narration_engine", "--json", "--words", str(words)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(output)
    summary = lines(result)
    section = "## Narration\n\n" + __doc__.split("\n\n")[1].replace("\n", " ") + "\n\n"
    section += "\n".join(f"- {line}" for line in summary) + "\n"
    return section, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=600)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="0: onnxruntime's")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    result = measure(arguments.words, arguments.threads)
    if arguments.json:
        print(json.dumps(result))
    else:
        print("\n".join(lines(result)))


if __name__ == "__main__":
    main()
