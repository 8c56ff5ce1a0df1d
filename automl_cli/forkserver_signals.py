"""Imported first by the forkserver (forkserver.PRELOAD), and by nothing else.

The forkserver, and every trial process forked from it, ignore SIGTERM as they ignore Ctrl-C:
a SIGTERM sent to the whole process group (as `timeout` sends it) is the fit's to handle. The
fit stops its search, writes the best model and then ends them; they end with it in any case.
Were the forkserver to die of it, the next worker would wait for a new one to import the
libraries again.
"""

import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
