// A plugin module whose import fails: the loader reports it with its file and loads the others.
throw new Error('this module cannot start');
