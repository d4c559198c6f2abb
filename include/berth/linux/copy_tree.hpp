// Recursive copy of a directory's contents (mounts[].options "tmpcopyup"): the
// image's files become the initial content of the tmpfs mounted over them.
#pragma once

namespace berth::linux_ {

// Copies everything under srcdir into dstdir: directories, regular files,
// symlinks and device nodes, with their owner and mode. Never follows a
// symlink. Any failure (read, write, chown, ...) throws berth::Error naming the
// entry: a half-copied tree must not pass for the image's content.
void copy_tree(int srcdir, int dstdir);

}  // namespace berth::linux_
