defmodule Golden.RawSpawn.FixFn do
  def notify(user) do
    # fire and forget
    spawn(fn ->
      deliver(user)
    end)

    :ok
  end

  def handle_cast({:notify, user}, state) do
    Kernel.spawn fn -> deliver(user) end
    {:noreply, state}
  end

  defp deliver(_user), do: Process.sleep(200)
end
