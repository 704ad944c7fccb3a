defmodule Golden.DemonitorDown.Quoted do
  defmacro __using__(_opts) do
    quote do
      def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
        {:noreply, Map.delete(state, ref)}
      end
    end
  end
end
