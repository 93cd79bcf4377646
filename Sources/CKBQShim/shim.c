/* pipe2 */
#define _GNU_SOURCE
#include "kbq_shim.h"
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <wchar.h>

static volatile sig_atomic_t interrupt_pending = 0;
static volatile sig_atomic_t interrupt_count = 0;
static int interrupt_pending_for_reader(void) { return interrupt_pending; }
/* Written a byte by the SIGINT and SIGWINCH handlers, read by the character reader's
   wait: a Ctrl-C or a resize that comes after the reader checked for one and before it
   waits still wakes the wait (the self-pipe trick). -1 when the pipe could not be made. */
static int interrupt_pipe[2] = {-1, -1};

static void make_wake_pipe(void) {
    if (interrupt_pipe[0] < 0 && pipe2(interrupt_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        interrupt_pipe[0] = interrupt_pipe[1] = -1;
    }
}

/* Called by the handlers; async-signal-safe. */
static void wake_reader(void) {
    if (interrupt_pipe[1] >= 0) {
        int saved = errno;
        char b = 1;
        /* Non-blocking: a full pipe already wakes the reader. */
        ssize_t written = write(interrupt_pipe[1], &b, 1);
        (void)written;
        errno = saved;
    }
}

static char prompt_text[256] = "kbq> ";

static char *prompt_fn(EditLine *el) {
    (void)el;
    return prompt_text;
}

/* A window resize: noted by the handler, acted on by the reader below (el_resize is not
   async-signal-safe). The handler has no SA_RESTART, so a wait for a key returns EINTR,
   and its byte in the pipe wakes a wait that began after it: the line is redrawn for the
   new width at once. */
static volatile sig_atomic_t resize_pending = 0;

static void on_sigwinch(int sig) {
    (void)sig;
    resize_pending = 1;
    wake_reader();
}

/* libedit's character reader (EL_GETCFN), as its own but for resizes: one character,
   decoded from UTF-8 (the locale's), from the terminal. A resize tells libedit the new
   size and redraws the line; any other interruption (Ctrl-C) ends the read with EINTR, as
   libedit's own reader does, so el_gets returns to the REPL. A Ctrl-C that came while
   libedit was between reads (handling the keys of a paste) interrupted no read: it ends
   the next one before it waits, not at the next key. Returns 1, 0 at end of input, -1 on
   error. */
static int read_char(EditLine *el, wchar_t *wc) {
    mbstate_t state;
    memset(&state, 0, sizeof state);
    for (;;) {
        if (resize_pending) {
            resize_pending = 0;
            el_resize(el);
            el_set(el, EL_REFRESH);
        }
        if (interrupt_pending) {
            errno = EINTR;
            return -1;
        }
        if (interrupt_pipe[0] >= 0) {
            struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {interrupt_pipe[0], POLLIN, 0}};
            if (poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue; /* a resize or a Ctrl-C: checked above */
                return -1;
            }
            if (fds[1].revents & POLLIN) {
                /* Bytes of this Ctrl-C or resize, or of one handled already: the flags
                   above tell them apart. */
                char drain[64];
                while (read(interrupt_pipe[0], drain, sizeof drain) > 0) {}
                continue;
            }
            /* A Ctrl-C typed before the keys that woke the wait was handled as the wait
               returned: those keys belong to the next line, not this one. */
            if (interrupt_pending || fds[0].revents == 0) continue;
        }
        char c;
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n < 0) {
            if (errno == EINTR && resize_pending && !interrupt_pending_for_reader()) continue;
            return -1;
        }
        if (n == 0) return 0;
        size_t k = mbrtowc(wc, &c, 1, &state);
        if (k == (size_t)-2) continue;  /* more bytes of this character to come */
        if (k == (size_t)-1) {          /* not UTF-8: drop the byte, start again */
            memset(&state, 0, sizeof state);
            continue;
        }
        return 1;
    }
}

EditLine *kbq_el_open(const char *program) {
    EditLine *el = el_init(program, stdin, stdout, stderr);
    if (!el) return NULL;
    el_set(el, EL_GETCFN, read_char);
    make_wake_pipe();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigwinch;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGWINCH, &sa, NULL);
    /* A parent may have blocked it (a thread's mask survives fork and exec). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_fn);
    /* Read ~/.editrc like every libedit program does. */
    el_source(el, NULL);
    return el;
}

void kbq_el_set_prompt(const char *prompt) {
    strncpy(prompt_text, prompt, sizeof prompt_text - 1);
    prompt_text[sizeof prompt_text - 1] = 0;
}

void kbq_el_set_completer(EditLine *el, kbq_complete_fn fn) {
    el_set(el, EL_ADDFN, "kbq-complete", "Complete a word", fn);
    el_set(el, EL_BIND, "^I", "kbq-complete", NULL);
}

void kbq_el_set_history(EditLine *el, History *h) {
    el_set(el, EL_HIST, history, h);
}

History *kbq_history_open(int size) {
    HistEvent ev;
    History *h = history_init();
    if (!h) return NULL;
    history(h, &ev, H_SETSIZE, size);
    history(h, &ev, H_SETUNIQUE, 1);
    return h;
}

int kbq_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

int kbq_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}

int kbq_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}


static void on_sigint(int sig) {
    (void)sig;
    interrupt_pending = 1;
    interrupt_count = interrupt_count + 1;
    wake_reader();
}

void kbq_install_sigint(void) {
    make_wake_pipe();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: el_gets and read return EINTR */
    sigaction(SIGINT, &sa, NULL);
    /* A parent may have blocked SIGINT; the mask survives exec. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int kbq_interrupt_pending(void) { return interrupt_pending; }
void kbq_clear_interrupt(void) { interrupt_pending = 0; }
int kbq_interrupt_count(void) { return interrupt_count; }

int kbq_terminal_columns(int fd) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 0;
}

int kbq_terminal_rows(int fd) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
    return 0;
}

void kbq_set_locale(void) { setlocale(LC_CTYPE, ""); }
