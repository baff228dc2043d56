/* cmd.h - mph's subcommands. Each returns a process exit code (core/exit.h). */
#ifndef MPH_CMD_H
#define MPH_CMD_H

int cmd_run(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_ab(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
