"""A stand-in for util-linux's python bindings (pylibmount), which Debian does not package:
crun's test_mounts.py only needs Table(mountinfo_file).find_target(path) and the entry's
vfs_options (per-mount options) and fs_options (super block options). The harness puts this
directory on sys.path only when the real module cannot be imported."""
import re


def _unescape(field):
    # mountinfo escapes space, tab, newline and backslash as \ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


class Fs:
    def __init__(self, line):
        fields = line.split()
        sep = fields.index("-", 6)
        self.target = _unescape(fields[4])
        self.vfs_options = fields[5]
        self.fstype = fields[sep + 1]
        self.source = _unescape(fields[sep + 2])
        self.fs_options = fields[sep + 3] if len(fields) > sep + 3 else ""
        # libmount's mnt_fs_get_options(): both lists joined
        self.options = ",".join(o for o in (self.vfs_options, self.fs_options) if o)


class Table:
    def __init__(self, path=None):
        self._entries = []
        if path is not None:
            with open(path) as f:
                self._entries = [Fs(line) for line in f if line.strip()]

    def find_target(self, path):
        # the last entry wins, as libmount's default backward iteration: an over-mount hides
        # what it covers
        for fs in reversed(self._entries):
            if fs.target == path:
                return fs
        return None
