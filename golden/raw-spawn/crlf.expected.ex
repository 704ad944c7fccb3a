defmodule Golden.RawSpawn.Crlf do
  def notify(user) do
    Task.Supervisor.start_child(Golden.RawSpawn.Tasks, fn ->
      IO.inspect(user)
    end)

    :ok
  end
end
