server.listen(PORT, HOST, () => {
  console.log(`[agent-monitor] v${pkg.version} listening on http://${HOST}:${server.address().port}`);
});