defmodule Golden.RawSpawn.FixFn do
  def notify(user) do
    # fire and forget
    Task.Supervisor.start_child(Golden.RawSpawn.Tasks, fn ->
      deliver(user)
    end)

    :ok
  end

  def handle_cast({:notify, user}, state) do
    Task.Supervisor.start_child Golden.RawSpawn.Tasks, fn -> deliver(user) end
    {:noreply, state}
  end

  defp deliver(_user), do: Process.sleep(200)
end
