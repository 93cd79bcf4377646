#ifndef KBQ_SHIM_H
#define KBQ_SHIM_H
#include <histedit.h>

/* libedit's el_set and history are variadic, which Swift cannot call:
   each use gets a fixed-arity wrapper here. */

typedef unsigned char (*kbq_complete_fn)(EditLine *el, int ch);

EditLine *kbq_el_open(const char *program);
void kbq_el_set_prompt(const char *prompt);
void kbq_el_set_completer(EditLine *el, kbq_complete_fn fn);
void kbq_el_set_history(EditLine *el, History *h);

History *kbq_history_open(int size);
int kbq_history_enter(History *h, const char *line);
int kbq_history_load(History *h, const char *path);
int kbq_history_save(History *h, const char *path);

/* SIGINT without SA_RESTART: a blocked read returns EINTR, and the evaluator
   polls the flag so a running query can be cancelled. */
void kbq_install_sigint(void);
int kbq_interrupt_pending(void);
void kbq_clear_interrupt(void);
int kbq_interrupt_count(void);

/* Terminal queries that are awkward from Swift. */
int kbq_terminal_columns(int fd);
/* The terminal's height in rows, or 0 when fd is not a terminal. */
int kbq_terminal_rows(int fd);
void kbq_set_locale(void);

#endif
