// Starts, says nothing, listens nowhere, stays.
setInterval(() => {}, 1000);
