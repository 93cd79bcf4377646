#include "kbq_shim.h"
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static char prompt_text[256] = "kbq> ";

static char *prompt_fn(EditLine *el) {
    (void)el;
    return prompt_text;
}

EditLine *kbq_el_open(const char *program) {
    EditLine *el = el_init(program, stdin, stdout, stderr);
    if (!el) return NULL;
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

static volatile sig_atomic_t interrupt_pending = 0;
static volatile sig_atomic_t interrupt_count = 0;

static void on_sigint(int sig) {
    (void)sig;
    interrupt_pending = 1;
    interrupt_count = interrupt_count + 1;
}

void kbq_install_sigint(void) {
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
