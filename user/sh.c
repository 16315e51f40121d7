// sh: the shell. It reads a line, splits it into tokens, parses the tokens
// into a small tree of commands, and runs the tree with fork, exec, pipe
// and dup. The grammar is xv6's:
//
//   list     := pipeline { (';' | '&') pipeline }     '&' runs in background
//   pipeline := command { '|' command }
//   command  := '(' list ')' { redir } | { word | redir }+
//   redir    := '<' word | '>' word
//
// "cd" is built in (it must change the shell's own directory). A list is
// run element by element by the process that owns it, so "cd d; ls" works.
// Every limit (line length, arguments, nesting) is checked and reported:
// a long or odd line is rejected with a message, never overflows a buffer.
// Parse results live in static pools that are reset for each line, so the
// shell allocates nothing. Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define LINESZ   512    // longest command line accepted, in bytes
#define MAXARGS  MAXARG // words of one command
#define MAXREDIR 4      // redirections of one command
#define MAXNODE  64     // commands in one line
#define MAXDEPTH 8      // nesting of parentheses
#define MAXPIPE  16     // commands in one pipeline

enum { EXEC = 1, PIPE, SUB };

struct redir {
  char *file;
  int fd;       // 0 for '<', 1 for '>'
  int mode;     // open() flags
};

struct cmd {
  int type;            // EXEC, PIPE or SUB
  int bg;              // followed by '&': do not wait for it
  struct cmd *next;    // next element of the enclosing list
  int argc;            // EXEC: argv[0..argc-1], argv[argc] == 0
  char *argv[MAXARGS + 1];
  struct cmd *left;    // PIPE: writer
  struct cmd *right;   // PIPE: reader
  struct cmd *body;    // SUB: the list inside the parentheses
  int nredir;          // EXEC and SUB
  struct redir redir[MAXREDIR];
};

// A token: kind is 'w' for a word, one of | < > & ; ( ) for a symbol,
// '+' for ">>", and 0 at the end of the line.
struct tok {
  int kind;
  char *word;
};

static char line[LINESZ + 1];
static char words[2 * LINESZ + 2];   // each word plus its NUL
static struct tok toks[LINESZ + 1];
static struct cmd nodes[MAXNODE];

// Parser state for the current line.
static int ntok, tpos, nnode, depth;
static const char *perr;   // first error found, or 0

static const char space[] = " \t\r\n\v";
static const char symbols[] = "|<>&;()";

// Reads one line from fd 0, a byte at a time so that input meant for the
// commands it runs stays unread. Returns the line's length, -1 at end of
// input, or -2 if the line was longer than LINESZ (the rest is discarded).
static int
getline(void)
{
  int n = 0, toolong = 0;
  char c;

  for(;;){
    if(read(0, &c, 1) != 1){
      if(n == 0 && !toolong)
        return -1;
      break;
    }
    if(c == '\n' || c == '\r')
      break;
    if(n < LINESZ)
      line[n++] = c;
    else
      toolong = 1;
  }
  line[n] = 0;
  return toolong ? -2 : n;
}

// Splits s into toks[], copying the words into words[]. Returns the number
// of tokens; cannot fail, since no line holds more tokens than bytes.
static int
tokenize(char *s)
{
  char *w = words;
  int n = 0;

  for(;;){
    while(*s != 0 && strchr(space, *s))
      s++;
    if(*s == 0)
      break;
    if(strchr(symbols, *s)){
      toks[n].kind = *s++;
      toks[n].word = 0;
      if(toks[n].kind == '>' && *s == '>'){
        toks[n].kind = '+';
        s++;
      }
    } else {
      toks[n].kind = 'w';
      toks[n].word = w;
      while(*s != 0 && !strchr(space, *s) && !strchr(symbols, *s))
        *w++ = *s++;
      *w++ = 0;
    }
    n++;
  }
  toks[n].kind = 0;
  toks[n].word = 0;
  return n;
}

// Returns the kind of the current token without consuming it.
static int
peek(void)
{
  return toks[tpos].kind;
}

// Records a syntax error at the current token, unless one is recorded.
// Returns 0 so that parse functions can "return fail(...)".
static struct cmd *
fail(const char *msg)
{
  if(perr == 0)
    perr = msg;
  return 0;
}

// Takes a zeroed command node of the given type from the pool. Returns 0
// (and records an error) when the line has too many commands.
static struct cmd *
newcmd(int type)
{
  struct cmd *c;

  if(nnode == MAXNODE)
    return fail("too many commands");
  c = &nodes[nnode++];
  memset(c, 0, sizeof(*c));
  c->type = type;
  return c;
}

// Parses one redirection at the current '<' or '>' into c. Returns 0 on
// success, -1 on an error (recorded in perr).
static int
parse_redir(struct cmd *c)
{
  int kind = toks[tpos++].kind;
  struct redir *r;

  if(peek() != 'w'){
    fail("missing file name after redirection");
    return -1;
  }
  if(c->nredir == MAXREDIR){
    fail("too many redirections");
    return -1;
  }
  r = &c->redir[c->nredir++];
  r->file = toks[tpos++].word;
  r->fd = kind == '<' ? 0 : 1;
  r->mode = kind == '<' ? O_RDONLY : O_WRONLY | O_CREATE | O_TRUNC;
  return 0;
}

// Parses any redirections at the current token into c. Returns 0, or -1
// on an error.
static int
parse_redirs(struct cmd *c)
{
  while(peek() == '<' || peek() == '>')
    if(parse_redir(c) < 0)
      return -1;
  if(peek() == '+'){
    fail(">> is not supported");
    return -1;
  }
  return 0;
}

static struct cmd *parse_list(void);

// Parses '(' list ')' and its redirections. Returns the SUB node, or 0 on
// an error.
static struct cmd *
parse_sub(void)
{
  struct cmd *c, *body;

  if(depth == MAXDEPTH)
    return fail("parentheses nested too deeply");
  tpos++;
  depth++;
  body = parse_list();
  depth--;
  if(perr != 0)
    return 0;
  if(peek() != ')')
    return fail("missing )");
  if(body == 0)
    return fail("empty ( )");
  tpos++;
  if((c = newcmd(SUB)) == 0)
    return 0;
  c->body = body;
  if(parse_redirs(c) < 0)
    return 0;
  return c;
}

// Parses one command: a parenthesised list or words and redirections.
// Returns the node, or 0 on an error.
static struct cmd *
parse_command(void)
{
  struct cmd *c;

  if(peek() == '(')
    return parse_sub();
  if((c = newcmd(EXEC)) == 0)
    return 0;
  for(;;){
    if(peek() == 'w'){
      if(c->argc == MAXARGS)
        return fail("too many arguments");
      c->argv[c->argc++] = toks[tpos++].word;
    } else if(peek() == '<' || peek() == '>' || peek() == '+'){
      if(parse_redirs(c) < 0)
        return 0;
    } else {
      break;
    }
  }
  if(c->argc == 0 && c->nredir == 0)
    return fail("missing command");
  return c;
}

// Parses commands joined by '|'. The tree leans left: a|b|c is
// PIPE(PIPE(a, b), c). Returns the tree, or 0 on an error.
static struct cmd *
parse_pipeline(void)
{
  struct cmd *c, *p, *r;
  int n = 1;

  if((c = parse_command()) == 0)
    return 0;
  while(peek() == '|'){
    tpos++;
    if(++n > MAXPIPE)
      return fail("pipeline too long");
    if((r = parse_command()) == 0 || (p = newcmd(PIPE)) == 0)
      return 0;
    p->left = c;
    p->right = r;
    c = p;
  }
  return c;
}

// Parses pipelines separated by ';' or '&' up to the end of the line or a
// ')'. Returns the first element of the list (0 if the list is empty), or
// 0 with perr set on an error.
static struct cmd *
parse_list(void)
{
  struct cmd *head = 0, *tail = 0, *c;

  while(peek() != 0 && peek() != ')'){
    if((c = parse_pipeline()) == 0)
      return 0;
    if(tail != 0)
      tail->next = c;
    else
      head = c;
    tail = c;
    if(peek() == '&')
      c->bg = 1;
    else if(peek() != ';')
      break;
    tpos++;
  }
  return head;
}

// Parses the line in line[]. Returns the list to run (0 for an empty
// line), or 0 after printing a message on a syntax error.
static struct cmd *
parse(void)
{
  struct cmd *c;

  ntok = tokenize(line);
  tpos = nnode = depth = 0;
  perr = 0;
  c = parse_list();
  if(perr == 0 && tpos != ntok)
    fail("unexpected token");
  if(perr == 0)
    return c;
  if(toks[tpos].kind == 'w')
    fprintf(2, "sh: %s near '%s'\n", perr, toks[tpos].word);
  else if(toks[tpos].kind == '+')
    fprintf(2, "sh: %s near '>>'\n", perr);
  else if(toks[tpos].kind != 0)
    fprintf(2, "sh: %s near '%c'\n", perr, toks[tpos].kind);
  else
    fprintf(2, "sh: %s at end of line\n", perr);
  return 0;
}

// Prints a message and exits: for failures inside a child process.
static void __attribute__((noreturn))
die(const char *msg)
{
  fprintf(2, "sh: %s\n", msg);
  exit(1);
}

// fork() that reports its failure. Returns the pid, 0 in the child, or -1.
static int
fork1(void)
{
  int pid = fork();

  if(pid < 0)
    fprintf(2, "sh: fork failed\n");
  return pid;
}

// Waits until child pid exits, reaping any other child on the way.
// Returns at once if there are no children left.
static void
waitfor(int pid)
{
  int w;

  while((w = wait(0)) >= 0 && w != pid)
    ;
}

// The built-in cd: changes this process's directory to argv[1], or to the
// root without an argument. Prints a message on failure.
static void
builtin_cd(struct cmd *c)
{
  char *dir = c->argc > 1 ? c->argv[1] : "/";

  if(chdir(dir) < 0)
    fprintf(2, "cannot cd %s\n", dir);
}

// Returns 1 if c is a plain "cd" command.
static int
is_cd(struct cmd *c)
{
  return c->type == EXEC && c->argc > 0 && strcmp(c->argv[0], "cd") == 0;
}

// Opens c's redirections in order, each on its fd (open returns the
// lowest free fd, which is the one just closed). Exits on a failure.
static void
apply_redirs(struct cmd *c)
{
  for(int i = 0; i < c->nredir; i++){
    struct redir *r = &c->redir[i];
    close(r->fd);
    if(open(r->file, r->mode) != r->fd){
      fprintf(2, "open %s failed\n", r->file);
      exit(1);
    }
  }
}

// Runs the program argv[0]. A bare name that is not found in the current
// directory is also tried in the root, where the system's programs live.
// Never returns.
static void __attribute__((noreturn))
do_exec(char **argv)
{
  static char path[MAXPATH];

  exec(argv[0], argv);
  if(strchr(argv[0], '/') == 0 && strlen(argv[0]) + 2 <= sizeof(path)){
    path[0] = '/';
    strcpy(path + 1, argv[0]);
    exec(path, argv);
  }
  fprintf(2, "exec %s failed\n", argv[0]);
  exit(1);
}

static void runlist(struct cmd *c);
static void runcmd(struct cmd *c) __attribute__((noreturn));

// Runs a PIPE node: the left side writes into a pipe that the right side
// reads. Waits for both. Never returns.
static void __attribute__((noreturn))
run_pipe(struct cmd *c)
{
  int p[2];

  if(pipe(p) < 0)
    die("pipe failed");
  if(fork1() == 0){
    close(1);
    dup(p[1]);
    close(p[0]);
    close(p[1]);
    runcmd(c->left);
  }
  if(fork1() == 0){
    close(0);
    dup(p[0]);
    close(p[0]);
    close(p[1]);
    runcmd(c->right);
  }
  close(p[0]);
  close(p[1]);
  while(wait(0) >= 0)
    ;
  exit(0);
}

// Runs one command (ignoring its list links) in the calling process, which
// is a child of the shell. Never returns.
static void
runcmd(struct cmd *c)
{
  if(c->type == PIPE)
    run_pipe(c);
  apply_redirs(c);
  if(c->type == SUB){
    runlist(c->body);
    exit(0);
  }
  if(c->argc == 0)
    exit(0);
  if(is_cd(c)){
    builtin_cd(c);
    exit(0);
  }
  do_exec(c->argv);
}

// Starts c in the background: an intermediate child forks the job and
// exits at once, so the job is handed to init, which reaps it.
static void
run_background(struct cmd *c)
{
  int pid = fork1();

  if(pid == 0){
    int job = fork1();
    if(job == 0)
      runcmd(c);
    exit(job < 0);
  }
  if(pid > 0)
    waitfor(pid);
}

// Runs the elements of a list one after the other in the calling process,
// waiting for each one not marked '&'.
static void
runlist(struct cmd *c)
{
  int pid;

  for(; c != 0; c = c->next){
    if(c->bg){
      run_background(c);
    } else if(is_cd(c) && c->nredir == 0){
      builtin_cd(c);
    } else if((pid = fork1()) == 0){
      runcmd(c);
    } else if(pid > 0){
      waitfor(pid);
    }
  }
}

int
main(void)
{
  struct cmd *c;
  int fd, n;

  // Make sure fds 0, 1 and 2 are open, on the console if nothing else.
  while((fd = open("console", O_RDWR)) >= 0){
    if(fd >= 3){
      close(fd);
      break;
    }
  }

  for(;;){
    write(2, "$ ", 2);
    n = getline();
    if(n == -1)
      break;
    if(n == -2){
      fprintf(2, "sh: line too long (limit %d bytes)\n", LINESZ);
      continue;
    }
    if((c = parse()) != 0)
      runlist(c);
  }
  exit(0);
}
