// Dockerfile parser, shell-word expansion and .dockerignore.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "berth/build/dockerfile.hpp"
#include "berth/build/dockerignore.hpp"
#include "berth/build/shell_words.hpp"
#include "../../src/build/run_mounts.hpp"
#include "error_of.hpp"

using namespace berth::build;

namespace {
Lookup env_of(std::map<std::string, std::string> m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("parse: instructions, lines, flags, forms") {
  auto df = parse_dockerfile(
      "# escape=\\\n"
      "ARG BASE=scratch\n"
      "FROM $BASE AS build\n"
      "# a comment\n"
      "\n"
      "copy --from=x --chown=1:2 a b /dst/\n"
      "RUN echo one \\\n"
      "  # comment inside\n"
      "  two\n"
      "CMD [\"/bin/sh\", \"-c\", \"x\"]\n"
      "ENTRYPOINT [not json\n");
  REQUIRE(df.instructions.size() == 6);
  CHECK(df.instructions[0].keyword == "ARG");
  CHECK(df.instructions[1].line == 3);
  const auto& cp = df.instructions[2];
  CHECK(cp.keyword == "COPY");
  CHECK(cp.line == 6);
  REQUIRE(cp.flags.size() == 2);
  CHECK(cp.flag("from")->value == "x");
  CHECK(cp.flag("chown")->value == "1:2");
  CHECK(cp.args == "a b /dst/");
  CHECK(df.instructions[3].args == "echo one   two");
  CHECK(df.instructions[3].line == 7);
  CHECK(df.instructions[4].json);
  CHECK(df.instructions[4].argv == std::vector<std::string>{"/bin/sh", "-c", "x"});
  CHECK_FALSE(df.instructions[5].json);  // not valid JSON: shell form
}

TEST_CASE("parse: escape directive and continuation") {
  auto df = parse_dockerfile("# escape=`\nFROM scratch\nCOPY c:\\src `\n  d:\\dst\n");
  CHECK(df.escape == '`');
  CHECK(df.instructions[1].args == "c:\\src   d:\\dst");
  // a directive after a comment is a comment
  auto df2 = parse_dockerfile("# hello\n# escape=`\nFROM scratch\n");
  CHECK(df2.escape == '\\');
  CHECK(error_of([] { parse_dockerfile("# escape=x\nFROM scratch\n"); }).find("invalid escape token") != std::string::npos);
  CHECK(error_of([] { parse_dockerfile("# escape=`\n# escape=`\nFROM scratch\n"); }) ==
        "Dockerfile:2: only one escape parser directive can be used");
  auto df3 = parse_dockerfile("# syntax=docker/dockerfile:1\nFROM scratch\n");
  CHECK(df3.warnings.size() == 1);
}

TEST_CASE("parse: precise errors with file, line and instruction") {
  CHECK(error_of([] { parse_dockerfile("FROM scratch\n\n\n\n\n\nCOPY onlyone\n"); }) ==
        "Dockerfile:7: COPY: no source files were specified");
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nFROB x\n", "my.Dockerfile"); }) ==
        "my.Dockerfile:2: unknown instruction: FROB");
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nCOPY --frm=x a b\n"); }) == "Dockerfile:2: COPY: unknown flag: --frm");
  CHECK(error_of([] { parse_dockerfile("RUN x\nFROM scratch\n"); }).find("Dockerfile:1: RUN: no build stage") == 0);
  CHECK(error_of([] { parse_dockerfile(""); }) == "Dockerfile: file with no instructions");
  CHECK(error_of([] { parse_dockerfile("ARG x\n"); }) == "Dockerfile: no FROM instruction");
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nSHELL /bin/sh -c\n"); }) ==
        "Dockerfile:2: SHELL: requires the arguments to be in JSON form");
  CHECK(error_of([] { parse_dockerfile("FROM a b\n"); }).find("Dockerfile:1: FROM: requires either one or three") == 0);
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nENV\n"); }) == "Dockerfile:2: ENV: requires at least one argument");
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nHEALTHCHECK --interval=1s NONE\n"); }).find("NONE") != std::string::npos);
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nONBUILD ONBUILD RUN x\n"); }).find("chaining") != std::string::npos);
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nRUN --mount= true\n"); }) == "Dockerfile:2: RUN: --mount requires a value");
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nADD --checksum=sha256:00 a b\n"); }).find("Dockerfile:2: ADD: --checksum") == 0);
  CHECK(error_of([] { parse_dockerfile("FROM scratch AS 1bad\n"); }).find("invalid stage name") != std::string::npos);
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nSTOPSIGNAL a b\n"); }) ==
        "Dockerfile:2: STOPSIGNAL: requires exactly one argument");
}

TEST_CASE("parse: every instruction is accepted") {
  auto df = parse_dockerfile(
      "FROM scratch\nMAINTAINER me\nLABEL a=b\nEXPOSE 80/tcp\nENV A=1\nADD a /b\nCOPY a /b\n"
      "ENTRYPOINT x\nVOLUME /v\nUSER u\nWORKDIR /w\nARG X\nONBUILD RUN x\nSTOPSIGNAL TERM\n"
      "HEALTHCHECK --interval=5s CMD true\nSHELL [\"/bin/sh\",\"-c\"]\nRUN [\"true\"]\nCMD x\nHEALTHCHECK NONE\n");
  CHECK(df.instructions.size() == 19);
}

TEST_CASE("parse: hostile input never crashes") {
  std::mt19937 rng(42);
  const std::string alphabet = "FROMRUNCOPY \\\n\t#=[]\"'${}:-+?`\r\x01\xff--from=AS";
  for (int n = 0; n < 3000; ++n) {
    std::string s;
    int len = static_cast<int>(rng() % 200);
    for (int i = 0; i < len; ++i) s += alphabet[rng() % alphabet.size()];
    if (n % 2) s = "FROM scratch\n" + s;
    try {
      auto df = parse_dockerfile(s);
      for (const auto& ins : df.instructions) {
        try {
          (void)expand_words(ins.args, env_of({{"A", "x"}}), df.escape);
        } catch (const berth::Error&) {
        }
      }
    } catch (const berth::Error&) {
    }
  }
  std::string deep(100000, '\\');
  CHECK_NOTHROW((void)error_of([&] { parse_dockerfile("FROM scratch\nRUN " + deep); }));
  std::string nested = "FROM scratch\nCMD " + std::string(5000, '[') + "\n";
  CHECK_NOTHROW((void)error_of([&] { parse_dockerfile(nested); }));
}

TEST_CASE("expand: variables, defaults, quotes and escapes") {
  auto env = env_of({{"A", "x"}, {"E", ""}, {"S", "a b"}});
  CHECK(expand_word("$A", env) == "x");
  CHECK(expand_word("${A}y", env) == "xy");
  CHECK(expand_word("$Ay", env) == "");
  CHECK(expand_word("${U:-def}", env) == "def");
  CHECK(expand_word("${E:-def}", env) == "def");
  CHECK(expand_word("${E-def}", env) == "");
  CHECK(expand_word("${A:+alt}", env) == "alt");
  CHECK(expand_word("${U:+alt}", env) == "");
  CHECK(expand_word("${U:-$A}", env) == "x");
  CHECK(expand_word("'$A'", env) == "$A");
  CHECK(expand_word("\"$A\"", env) == "x");
  CHECK(expand_word("\\$A", env) == "$A");
  CHECK(expand_word("\"\\$A \\\"q\\\" \\n\"", env) == "$A \"q\" \\n");
  CHECK(expand_word("a\\ b", env) == "a b");
  CHECK(expand_word("`$A", env, '`') == "$A");
  CHECK(expand_word("$", env) == "$");
  CHECK(expand_word("$/x", env) == "$/x");
  CHECK(error_of([&] { expand_word("${U:?must be set}", env); }) == "U: must be set");
  CHECK(error_of([&] { expand_word("${A", env); }).find("missing '}'") != std::string::npos);
  CHECK(error_of([&] { expand_word("'abc", env); }).find("single-quote") != std::string::npos);
  CHECK(error_of([&] { expand_word("${A/x/y}", env); }).find("unsupported modifier") != std::string::npos);
  CHECK(expand_words("$S \"$S\" ''", env) == std::vector<std::string>{"a", "b", "a b", ""});
  CHECK(split_words_raw("a=\"b c\" d='e f' g=h\\ i") == std::vector<std::string>{"a=\"b c\"", "d='e f'", "g=h\\ i"});
}

TEST_CASE("dockerignore and globs") {
  CHECK(path_match("*.txt", "a.txt"));
  CHECK_FALSE(path_match("*.txt", "d/a.txt"));
  CHECK(path_match("**/*.txt", "d/e/a.txt"));
  CHECK(path_match("**/*.txt", "a.txt"));
  CHECK(path_match("d/**", "d/e/f"));
  CHECK(path_match("[a-c]?", "bx"));
  CHECK_FALSE(path_match("[^a-c]?", "bx"));
  CHECK_FALSE(path_match("[abc", "a"));
  DockerIgnore ig("# comment\n*.log\n/build\n!keep.log\ntmp/**\n**/secret\n");
  CHECK(ig.excluded("x.log"));
  CHECK_FALSE(ig.excluded("keep.log"));
  CHECK(ig.excluded("build"));
  CHECK(ig.excluded("build/a/b"));
  CHECK(ig.excluded("tmp/a"));
  CHECK(ig.excluded("a/b/secret"));
  CHECK_FALSE(ig.excluded("src/main.c"));
  CHECK(ig.has_exceptions());
}

TEST_CASE("parse: here-documents") {
  auto df = parse_dockerfile(
      "FROM scratch\n"
      "RUN <<EOF\n"
      "echo a\n"
      "echo b\n"
      "EOF\n"
      "RUN cat <<-'X' > /f && echo done\n"
      "\tliteral $HOME\n"
      "\tX\n"
      "COPY <<A <<B /dir/\n"
      "one\n"
      "A\n"
      "two\n"
      "B\n"
      "CMD x\n");
  REQUIRE(df.instructions.size() == 5);
  CHECK(df.instructions[1].args == "echo a\necho b\n");  // a lone heredoc is the script
  CHECK(df.instructions[2].args == "cat <<-'X' > /f && echo done\n\tliteral $HOME\n\tX\n");
  REQUIRE(df.instructions[2].heredocs.size() == 1);
  CHECK(df.instructions[2].heredocs[0].content == "literal $HOME\n");
  CHECK(df.instructions[2].heredocs[0].quoted);
  const auto& cp = df.instructions[3];
  REQUIRE(cp.heredocs.size() == 2);
  CHECK(cp.heredocs[0].name == "A");
  CHECK(cp.heredocs[0].content == "one\n");
  CHECK(cp.heredocs[1].content == "two\n");
  CHECK(df.instructions[4].line == 14);
  CHECK(error_of([] { parse_dockerfile("FROM scratch\nRUN <<EOF\necho\n"); }) ==
        "Dockerfile:2: RUN: unterminated here-document <<EOF (no line \"EOF\")");
  // not here-documents: "<<<", quoted, or no word
  auto df2 = parse_dockerfile("FROM scratch\nRUN cat <<< x\nRUN echo '<<EOF'\nRUN echo a << \n");
  CHECK(df2.instructions.size() == 4);
  CHECK(df2.instructions[1].heredocs.empty());
  CHECK(df2.instructions[2].heredocs.empty());
}

TEST_CASE("RUN --mount options") {
  auto m = parse_run_mount("type=cache,target=.cache,id=go,mode=0700,uid=1000", "/w");
  CHECK(m.type == "cache");
  CHECK(m.target == "/w/.cache");
  CHECK(m.id == "go");
  CHECK(m.mode == 0700u);
  CHECK(m.uid == 1000u);
  m = parse_run_mount("target=/src,source=sub/dir,from=build", "/");
  CHECK(m.type == "bind");
  CHECK(m.source == "sub/dir");
  CHECK(m.from == "build");
  CHECK(parse_run_mount("type=bind,target=/x", "/").source == ".");
  CHECK(parse_run_mount("type=cache,target=/x", "/").id == "/x");
  CHECK(parse_run_mount("type=tmpfs,target=/t,size=64m", "/").size == 64u << 20);
  CHECK(error_of([] { parse_run_mount("type=volume,target=/x", "/"); }).find("type=\"volume\" is not supported") != std::string::npos);
  // secret: target /run/secrets/<id> by default, id from the target's base name
  m = parse_run_mount("type=secret,id=tok", "/");
  CHECK(m.target == "/run/secrets/tok");
  CHECK(!m.required);
  m = parse_run_mount("type=secret,target=etc/key,required,mode=0440,uid=5", "/w");
  CHECK(m.id == "key");
  CHECK(m.target == "/w/etc/key");
  CHECK(m.required);
  CHECK(*m.mode == 0440);
  CHECK(error_of([] { parse_run_mount("type=secret", "/"); }) == "--mount: type=secret needs id= or target=");
  CHECK(error_of([] { parse_run_mount("type=secret,id=a,source=x", "/"); }).find("from= and source= are for type=bind") != std::string::npos);
  // ssh: id "default", target chosen by the builder
  m = parse_run_mount("type=ssh", "/");
  CHECK(m.id == "default");
  CHECK(m.target.empty());
  CHECK(parse_run_mount("type=ssh,id=gh,target=/agent,required=true", "/").required);
  CHECK(error_of([] { parse_run_mount("type=ssh,uid=1000", "/"); }).find("not supported") != std::string::npos);
  CHECK(error_of([] { parse_run_mount("type=cache,target=/x,required", "/"); }).find("required= is for") != std::string::npos);
  CHECK(error_of([] { parse_run_mount("type=cache", "/"); }) == "--mount: target=PATH is required");
  CHECK(error_of([] { parse_run_mount("target=/x,rw", "/"); }).find("rw bind mounts") != std::string::npos);
  CHECK(error_of([] { parse_run_mount("target=/x,bogus=1", "/"); }) == "--mount: unknown option \"bogus\"");
  CHECK(error_of([] { parse_run_mount("type=cache,target=/x,mode=9", "/"); }).find("mode") != std::string::npos);
  CHECK(error_of([] { parse_run_mount("type=tmpfs,target=/", "/"); }) == "--mount: cannot mount over /");
  CHECK(error_of([] { parse_run_mount("type=tmpfs,target=/t,from=x", "/"); }).find("for type=bind") != std::string::npos);
}
