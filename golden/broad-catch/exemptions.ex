defmodule Golden.BroadCatch.Exemptions do
  use GenServer

  def init(state), do: {:ok, state}

  def guarded(fun) do
    fun.()
  catch
    kind, reason -> {:error, {kind, reason}}
  end

  def handle_event(_event, _measurements, metadata, _config) do
    GenServer.call(metadata.server, :record)
  catch
    _, _ -> :ok
  end

  def terminate(_reason, state) do
    GenServer.stop(state.child)
  catch
    _, _ -> :ok
  end
end
