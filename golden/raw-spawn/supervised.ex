defmodule Golden.RawSpawn.Supervised do
  # Supervised and monitored starts are what the rule recommends: nothing to report.
  def run(opts, fun) do
    Task.Supervisor.start_child(Golden.RawSpawn.Tasks, fun)
    task = Task.async(fun)
    {pid, ref} = spawn_monitor(fun)
    {:ok, _} = Task.start(fun)
    settings = [spawn: true, spawn_link: false]
    {Task.await(task), pid, ref, settings, opts.spawn}
  end
end
