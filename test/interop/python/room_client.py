"""A Python client of a Switchboard room, written as the seed documents' Python examples are.

    /usr/bin/python3 room_client.py WS_URL ROOM TEXT UNTIL [TOKEN]

Connects to WS_URL?channels=ROOM (and &token=TOKEN), sends hello, publishes {"text": TEXT} to the room
once the connection is established, and prints every frame it receives as one JSON line, until a
publication whose text is UNTIL arrives. Exits 2 if that takes longer than TIMEOUT seconds.
Needs the `websockets` library (Debian: python3-websockets).
"""
import asyncio
import json
import sys
from urllib.parse import urlencode

import websockets

TIMEOUT = 20


async def room_client(ws_url, room, text, until, token=None):
    query = {"channels": room}
    if token:
        query["token"] = token
    uri = f"{ws_url}?{urlencode(query)}"

    async with websockets.connect(uri) as ws:
        await ws.send(json.dumps({"type": "hello"}))
        while True:
            frame = json.loads(await ws.recv())
            print(json.dumps(frame), flush=True)
            if frame.get("type") == "connection.established":
                await ws.send(json.dumps({"type": "publish", "channel": room, "data": {"text": text}}))
            if frame.get("type") == "publication" and frame.get("data", {}).get("text") == until:
                return


def main():
    if len(sys.argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    try:
        asyncio.run(asyncio.wait_for(room_client(*sys.argv[1:]), TIMEOUT))
    except asyncio.TimeoutError:
        print(f"no publication with text {sys.argv[4]!r} within {TIMEOUT} s", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
