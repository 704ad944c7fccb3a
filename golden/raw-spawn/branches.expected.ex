defmodule Golden.RawSpawn.Branches do
  def maybe_notify(user, opts) do
    if opts[:async] do
      Task.Supervisor.start_child(Golden.RawSpawn.Tasks, fn -> deliver(user) end)
      :queued
    else
      Task.Supervisor.start_child(Golden.RawSpawn.Tasks, fn -> deliver(user) end)
      :queued_too
    end
  end

  def by_kind(kind, user) do
    case kind do
      :email ->
        Task.Supervisor.start_child(Golden.RawSpawn.Tasks, fn -> deliver(user) end)
        :ok

      :sms ->
        # the value of the clause is the value of spawn: not rewritten
        spawn(fn -> deliver(user) end)
    end
  end

  def one_liner(user), do: (Task.Supervisor.start_child(Golden.RawSpawn.Tasks, fn -> deliver(user) end); :ok)

  defp deliver(_user), do: :ok
end
