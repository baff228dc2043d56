/* guest_init.S - the guest's /init script (harness/runner/guest-init.sh), assembled into mph
 * so that the binary alone can build a guest image. */
	.section .rodata
	.global mph_guest_init
	.global mph_guest_init_len
	.type mph_guest_init, @object
mph_guest_init:
	.incbin "harness/runner/guest-init.sh"
mph_guest_init_end:
	.balign 4
	.type mph_guest_init_len, @object
mph_guest_init_len:
	.int mph_guest_init_end - mph_guest_init
	.section .note.GNU-stack,"",@progbits
