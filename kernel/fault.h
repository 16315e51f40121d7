// Faults compiled in on purpose, only to prove that the graders can fail:
// `make FAULT=sbrk` builds with -DFAULT_SBRK=1, and so on. A normal build
// enables none, and then every test below is the constant 0.
#ifndef KERNEL_FAULT_H
#define KERNEL_FAULT_H

#ifndef FAULT_SBRK
#define FAULT_SBRK 0        // sbrk(n) maps one page less than it reports
#endif
#ifndef FAULT_KFREE_LEAK
#define FAULT_KFREE_LEAK 0  // kfree() silently drops every 16th frame
#endif

#endif
