// grep: prints the lines of its input that match a pattern. The patterns
// are a small subset of regular expressions, after Rob Pike's matcher in
// "The Practice of Programming":
//   c   any literal character matches itself
//   .   matches any single character
//   ^   at the start of the pattern: match at the start of the line only
//   $   at the end of the pattern: match at the end of the line only
//   x*  zero or more repetitions of x (a character or '.')
// Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char buf[1024];

static int match_here(const char *re, const char *text);

// Matches c* followed by the rest of the pattern re, trying the shortest
// run of c first. Returns 1 on a match.
static int
match_star(int c, const char *re, const char *text)
{
  for(;;){
    if(match_here(re, text))
      return 1;
    if(*text == 0 || !(c == '.' || *text == c))
      return 0;
    text++;
  }
}

// Returns 1 if re matches a prefix of text.
static int
match_here(const char *re, const char *text)
{
  for(; re[0] != 0; re++, text++){
    if(re[1] == '*')
      return match_star(re[0], re + 2, text);
    if(re[0] == '$' && re[1] == 0)
      return *text == 0;
    if(*text == 0 || !(re[0] == '.' || re[0] == *text))
      return 0;
  }
  return 1;
}

// Returns 1 if re matches anywhere in text.
static int
match(const char *re, const char *text)
{
  if(re[0] == '^')
    return match_here(re + 1, text);
  // Try every start position, including the empty tail (for "x*" or "$").
  do {
    if(match_here(re, text))
      return 1;
  } while(*text++ != 0);
  return 0;
}

// Checks the NUL-terminated line s (its newline removed) and prints it
// with a newline if it matches.
static void
check_line(const char *re, char *s)
{
  if(match(re, s)){
    write(1, s, strlen(s));
    write(1, "\n", 1);
  }
}

// Reads fd to its end and prints each line that matches re. A line longer
// than the buffer is checked in buffer-sized pieces; a last line without a
// newline is still checked.
static void
grep(const char *re, int fd)
{
  int m = 0, n;
  char *p, *q;

  while((n = read(fd, buf + m, sizeof(buf) - m - 1)) > 0){
    m += n;
    buf[m] = 0;
    p = buf;
    while((q = strchr(p, '\n')) != 0){
      *q = 0;
      check_line(re, p);
      p = q + 1;
    }
    m -= p - buf;
    if(m == sizeof(buf) - 1){
      check_line(re, buf);   // full buffer with no newline
      m = 0;
    } else if(m > 0) {
      memmove(buf, p, m);    // keep the partial line for the next read
    }
  }
  if(m > 0){
    buf[m] = 0;
    check_line(re, buf);
  }
}

int
main(int argc, char *argv[])
{
  int fd;

  if(argc <= 1){
    fprintf(2, "usage: grep pattern [file ...]\n");
    exit(1);
  }
  if(argc <= 2){
    grep(argv[1], 0);
    exit(0);
  }
  for(int i = 2; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "grep: cannot open %s\n", argv[i]);
      exit(1);
    }
    grep(argv[1], fd);
    close(fd);
  }
  exit(0);
}
