# Shared by the *_semantics.py probes: print an observation as
# "label ok RESULT" or "label err ERRNO-NAME".
import errno


def name(e):
    return errno.errorcode.get(e, str(e))


def tryit(label, f):
    try:
        r = f()
        print(label, "ok", r if r is not None else "")
    except OSError as e:
        print(label, "err", name(e.errno))
