// Dies before it is ready, with a word on standard error.
process.stderr.write('exits-early: cannot open my configuration\n');
process.exit(3);
