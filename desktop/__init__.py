"""The desktop launcher: a tkinter window that starts, watches and stops Core for people who
never open a terminal (`python faceforge.py desktop`, `python faceforge.pyz desktop`).

Its folder, `desktop/`, sits beside `faceforge/` but is always imported as `faceforge.desktop`
(setup.py, the zipapp builder and `resources.attach_desktop` see to that), so that the
checkout, the zipapp and an installed wheel all import it the same way, under a name that
cannot collide.
It holds no FaceForge logic: it talks to Core over HTTP through `faceforge.client` (which
also finds the running Core of a home) and through the files of the home (`config/core.json`,
`config/ports.json`, `logs/`). Everything except `launcher`, `wizard` and `window` works
without a display, which is how the tests drive it:

- `ports`: free-port picking;
- `processes`: Core as a child process, crash restarts with backoff and a cap, attaching;
- `controller`: the supervisor on a background thread, fed by the window's buttons;
- `settings`: where the launcher remembers the data folder, and merging into core.json;
- `logtail`: following a log file by reading only the bytes added since the last look.
"""
