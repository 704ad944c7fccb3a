defmodule Golden.RawSpawn.EnumEach do
  def broadcast(users, msg) do
    Enum.each(users, fn user -> Task.Supervisor.start_child(Golden.RawSpawn.Tasks, fn -> deliver(user, msg) end) end)
  end

  def collect(users) do
    # Enum.map keeps the values: not rewritten
    Enum.map(users, fn user -> spawn(fn -> deliver(user, :hi) end) end)
  end

  defp deliver(_user, _msg), do: :ok
end
