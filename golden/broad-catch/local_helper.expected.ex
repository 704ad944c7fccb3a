defmodule Golden.BroadCatch.LocalHelper do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_call({:get, key}, _from, state), do: {:reply, Map.get(state, key), state}

  def get(key), do: GenServer.call(__MODULE__, {:get, key})

  def safe_get(key) do
    try do
      get(key)
    catch
      :exit, _reason -> nil
    end
  end
end
