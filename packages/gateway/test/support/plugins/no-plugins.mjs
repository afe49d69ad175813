// A module whose default export is not a plugin.
export default { type: 'teapot', name: 'nothing' };
